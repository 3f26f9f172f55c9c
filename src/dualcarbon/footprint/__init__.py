"""Product carbon footprint (GB/T 24067, cradle to gate) and the enterprise carbon / product-footprint register."""

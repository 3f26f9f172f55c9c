"""Files of the monitoring subject: meter registers and reading files (CSV, Parquet, xlsx)."""

"""The print-ready documents officials use (PDF and Excel annexes)."""

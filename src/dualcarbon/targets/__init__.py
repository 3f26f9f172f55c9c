"""Targets per region, group or enterprise, progress, required rates and warning levels."""

"""Alerts from budgets, targets, anomalies, stale meters and quality failures, with their lifecycle and channels."""

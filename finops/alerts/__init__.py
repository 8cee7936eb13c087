"""Budgets, forecasts, anomaly detection and alert delivery."""

"""Budgets, forecasts, anomaly detection and alert delivery.

Alerts are recorded once in ``finops.alerts``, delivered through the configured channels until delivered.

Who records what: collection streaks (``collection_failed``, ``collection_recovered``), the
late-data deadline (``collection_late``) and the collection DAG's watcher (``run_failed``).
The DAG ``finops_spend_alerts`` (:mod:`finops.alerts.tasks`) records ``budget_threshold``,
``budget_forecast`` and ``spend_anomaly`` in the same table and delivers through :mod:`finops.alerts.delivery`.
"""

from __future__ import annotations

from finops.alerts.model import Alert, StoredAlert

__all__ = ["Alert", "StoredAlert"]

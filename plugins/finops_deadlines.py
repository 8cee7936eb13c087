"""Registers the collection deadline's reference with the scheduler (Airflow needs custom references registered)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from finops.alerts.deadline import CollectionDayClosed


class FinopsDeadlinesPlugin(AirflowPlugin):
    """``CollectionDayClosed``: N hours after a scheduled collection day closed (docs/monitoring.md)."""

    name = "finops_deadlines"
    deadline_references = [CollectionDayClosed]

"""The collection deadline as an Airflow Deadline Alert reference: N hours after a scheduled day closed.

Airflow 3.3's built-in references are the logical date, the queue time, a fixed time and the
average runtime; none is "the data interval's end plus a variable's hours". This custom reference
is, and the ``finops_deadlines`` plugin registers it with the scheduler (custom references must be).
Only scheduled runs get a deadline: backfills and manual runs of old days are late by design.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk.definitions.deadline import BaseDeadlineReference


class CollectionDayClosed(BaseDeadlineReference):
    """A scheduled run's data interval end plus ``finops_collection_deadline_hours`` (evaluated at run creation)."""

    required_kwargs = {"dag_id", "run_id"}

    def _evaluate_with(self, *, session: Any, dag_id: str, run_id: str, **kwargs: Any) -> datetime | None:
        from airflow.models import DagRun
        from airflow.models.variable import Variable
        from sqlalchemy import select

        from finops.alerts.late import DEADLINE_VARIABLE, deadline_hours

        row = session.execute(
            select(DagRun.data_interval_end, DagRun.run_type).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
        ).one_or_none()
        if row is None or row[0] is None or str(getattr(row[1], "value", row[1])) != "scheduled":
            return None
        hours = deadline_hours(Variable.get(DEADLINE_VARIABLE, default_var=None))
        return row[0] + timedelta(seconds=float(hours * 3600))

"""Late data: a day whose collection has not succeeded N hours after it closed alerts once, naming the teams.

N is the Airflow variable ``finops_collection_deadline_hours`` (default 6; decimals allowed). The
collection DAG carries an Airflow Deadline Alert (:mod:`finops.alerts.deadline`) whose callback,
:func:`on_collection_late`, asks the warehouse which teams have no successful collection of the day.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from finops import paths
from finops.alerts.model import COLLECTION_LATE, Alert

log = logging.getLogger(__name__)

DEADLINE_VARIABLE = "finops_collection_deadline_hours"
DEFAULT_DEADLINE_HOURS = Decimal(6)


def deadline_hours(raw: Any) -> Decimal:
    """The variable's hours; unset or malformed falls back to the default (logged, never fatal)."""
    if raw in (None, ""):
        return DEFAULT_DEADLINE_HOURS
    try:
        hours = Decimal(str(raw).strip())
    except InvalidOperation:
        hours = Decimal(-1)
    if not hours.is_finite() or hours < 0:
        log.warning("The Airflow variable `%s` is %r; set it to a number of hours (0 or more). Using %s.",
                    DEADLINE_VARIABLE, raw, DEFAULT_DEADLINE_HOURS)
        return DEFAULT_DEADLINE_HOURS
    return hours


def late_alert(provider: str, day: date, hours: Decimal, dag_run_id: str | None = None) -> Alert | None:
    """The alert for ``day`` if some team has no successful collection covering it, else None."""
    from finops.warehouse.db import connect

    with connect() as conn:
        rows = conn.execute(paths.sql("alerts/day_not_collected"), {"provider": provider, "day": day}).fetchall()
    if not rows:
        return None
    closed = datetime.combine(day + timedelta(days=1), datetime.min.time())
    teams = {team: (until.isoformat() if until else None) for team, until in rows}
    listed = "; ".join(f"{team} (collected until {until or 'never'})" for team, until in teams.items())
    return Alert(
        kind=COLLECTION_LATE, provider=provider, scope="day", period=day.isoformat(), value=Decimal(len(teams)),
        message=(f"{provider} costs of {day} are late: {len(teams)} team(s) have no successful collection "
                 f"{hours} h after the day closed ({closed:%Y-%m-%d %H:%M} UTC): {listed}. Check the run "
                 f"{dag_run_id or ''} in the Airflow grid and the teams' keys."),
        details={"day": day.isoformat(), "teams": teams, "deadline_hours": str(hours), "dag_run_id": dag_run_id},
    )


def check_day(provider: str, day: date, hours: Decimal, dag_run_id: str | None = None) -> int | None:
    """Record the day's late alert (once) and deliver what is pending; the new alert's id, if any."""
    from finops.alerts import store
    from finops.alerts.delivery import deliver_pending

    alert = late_alert(provider, day, hours, dag_run_id)
    alert_id = store.record(alert) if alert else None
    if alert is None:
        log.info("%s costs of %s: every team collected; no late alert.", provider, day)
    deliver_pending()
    return alert_id


def run_day(dag_run: dict[str, Any]) -> date | None:
    """The day a scheduled daily run collects: the last day of its data interval."""
    end = dag_run.get("data_interval_end")
    if not end:
        return None
    end = datetime.fromisoformat(end) if isinstance(end, str) else end
    return (end - timedelta(microseconds=1)).date()


def on_collection_late(provider: str, context: dict[str, Any] | None = None, **_: Any) -> None:
    """The Deadline Alert's callback (run by the executor when the deadline passes)."""
    from finops.lookup import get_variable

    dag_run = (context or {}).get("dag_run") or {}
    day = run_day(dag_run)
    if day is None:
        log.warning("The deadline fired for a run without a data interval (%s); nothing to check.",
                    dag_run.get("run_id"))
        return
    check_day(provider, day, deadline_hours(get_variable(DEADLINE_VARIABLE, None)), dag_run.get("run_id"))

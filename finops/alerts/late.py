"""Late data: a day whose collection has not succeeded N hours after it closed alerts once, naming the teams.

N is the Airflow variable ``finops_collection_deadline_hours`` (default 6; decimals allowed). The
hourly DAG ``finops_collection_deadline`` asks the warehouse, at its data interval's end, which teams
have no successful collection of each day whose deadline has passed (docs/monitoring.md says why
this is not an Airflow Deadline Alert on Airflow 3.3.2).
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
#: Due days checked per watch run (the newest and the ones before it).
LOOKBACK_DAYS = 3


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


def late_alert(provider: str, day: date, hours: Decimal) -> Alert | None:
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
                 f"{hours} h after the day closed ({closed:%Y-%m-%d %H:%M} UTC): {listed}. Check the "
                 f"{provider} collection DAG's runs in the Airflow grid and the teams' keys."),
        details={"day": day.isoformat(), "teams": teams, "deadline_hours": str(hours)},
    )


def due_days(now: datetime, hours: Decimal, lookback_days: int = LOOKBACK_DAYS) -> list[date]:
    """Days whose deadline (the day's end plus ``hours``) has passed at ``now``: the newest and a few before.

    The earlier ones let a watch that was down catch up; each day still alerts once.
    """
    newest = (now - timedelta(seconds=float(hours * 3600))).date() - timedelta(days=1)
    return [newest - timedelta(days=n) for n in range(lookback_days)]


def check_deadlines(providers: list[str], now: datetime, hours: Decimal) -> list[int]:
    """Record the late alert of every due day and provider (each once), then deliver what is pending."""
    from finops.alerts import store
    from finops.alerts.delivery import deliver_pending

    fired = []
    for provider in providers:
        for day in due_days(now, hours):
            alert = late_alert(provider, day, hours)
            alert_id = store.record(alert) if alert else None
            if alert_id is not None:
                fired.append(alert_id)
                log.warning("%s", alert.message)
    log.info("Deadline check at %s (%s h): %d new late alert(s); %s", now, hours, len(fired),
             deliver_pending().summary())
    return fired

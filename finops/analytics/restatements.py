"""Restatements: a re-collected day whose total differs from what the previous collection loaded (late costs)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from finops import paths
from finops.money import subtract

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

METRIC = "finops.collection.days_restated"


@dataclass(frozen=True, slots=True)
class Restatement:
    """One day's total, before and after a re-collection."""

    usage_date: date
    currency: str
    old_amount: Decimal
    new_amount: Decimal

    @property
    def change(self) -> Decimal:
        return subtract(self.new_amount, self.old_amount)


@dataclass(frozen=True, slots=True)
class RestatedDay:
    """A restated day as the page and the report show it (the latest change of that day)."""

    provider: str
    team_id: str
    usage_date: date
    currency: str
    old_amount: Decimal
    new_amount: Decimal
    detected_at: datetime
    dag_run_id: str | None
    times: int


def record_restatements(conn: psycopg.Connection, provider: str, team_id: str, run_id: int) -> list[Restatement]:
    """Compare a successful run's per-day totals with the previous run's and record each difference.

    Call it in the load's transaction after the run's ``collection_run_days`` rows are written. Each
    restated day is counted in the ``finops.collection.days_restated`` metric (tags provider, team_id).
    """
    rows = conn.execute(paths.sql("analytics/restatements_record"), {"run_id": run_id}).fetchall()
    return record_found(provider, team_id, run_id, rows)


def record_found(provider: str, team_id: str, run_id: int, rows: list[tuple]) -> list[Restatement]:
    """The rows ``restatements_record.sql`` returned, as values; logged and counted in the metric."""
    found = [Restatement(usage_date=d, currency=c, old_amount=Decimal(o), new_amount=Decimal(n)) for d, c, o, n in rows]
    if found:
        log.info("Team %s (%s): %d day(s) restated by run %s: %s", team_id, provider, len(found), run_id,
                 ", ".join(f"{r.usage_date} {r.old_amount} -> {r.new_amount} {r.currency}" for r in found))
        _count(len(found), provider, team_id)
    return found


def _count(days: int, provider: str, team_id: str) -> None:
    """The metric, best effort: outside Airflow (the CLI, tests) there is no metrics layer to feed."""
    try:
        from airflow.sdk.observability.stats import Stats
    except ImportError:
        return
    try:
        Stats.incr(METRIC, days, tags={"provider": provider, "team_id": team_id})
    except Exception as exc:  # a metrics backend hiccup must not fail a load
        log.warning("Could not emit %s: %s", METRIC, exc)


def restated_days(conn: psycopg.Connection, start: date, end: date, *, provider: str | None = None,
                  team_id: str | None = None, teams: list[str] | None = None) -> list[RestatedDay]:
    """The restated days in ``[start, end)``, latest change per provider, team, day and currency."""
    rows = conn.execute(paths.sql("analytics/restatements_in_range"),
                        {"start": start, "end": end, "provider": provider, "team_id": team_id,
                         "teams": teams}).fetchall()
    return [RestatedDay(provider=p, team_id=t, usage_date=d, currency=c, old_amount=Decimal(o),
                        new_amount=Decimal(n), detected_at=at, dag_run_id=run, times=times)
            for p, t, d, c, o, n, at, run, times in rows]

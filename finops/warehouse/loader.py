"""Atomic window replace: a team's cost rows in a window are deleted and reloaded in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from finops import paths
from finops.errors import FinopsError
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

if TYPE_CHECKING:
    from finops.costs.models import CostRow


#: Column types of ``copy_cost_rows.sql``, for binary COPY (about 1.35x text COPY, measured in docs/performance.md).
COPY_TYPES = ("text", "date", "text", "text", "text", "numeric", "numeric", "text", "text", "timestamptz", "text",
              "int8")


ANALYZE_AFTER_ROWS = 100_000


class DuplicateCostRow(FinopsError):
    """The API returned the same (day, project, line item, currency) twice in one window."""


@dataclass(frozen=True, slots=True)
class Window:
    """UTC days ``[start, end)``."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __str__(self) -> str:
        from datetime import timedelta

        last = self.end - timedelta(days=1)
        return f"{self.start}" if last == self.start else f"{self.start}..{last}"


@dataclass(slots=True)
class LoadResult:
    run_id: int
    rows: int = 0
    amount_total: Decimal = Decimal(0)
    per_day: dict[tuple[date, str], list] = field(default_factory=dict)


def replace_window(
    team_id: str,
    window: Window,
    rows: Iterable[CostRow],
    *,
    dag_run_id: str | None,
    started_at: datetime,
    stats=None,
    conn_id: str = FINOPS_DB_CONN_ID,
) -> LoadResult:
    """Delete the team's rows in ``window`` and COPY ``rows`` in, recording the collection run.

    ``rows`` is consumed inside the transaction, so memory stays bounded by one API page; any
    error (API, parsing, database, a killed process) rolls everything back and the previous rows
    stay. A transaction-level advisory lock per team serialises overlapping runs.
    """
    import psycopg

    collected_at = datetime.now(UTC)
    params = {"team_id": team_id, "window_start": window.start, "window_end": window.end,
              "dag_run_id": dag_run_id, "started_at": started_at}
    per_day: dict[tuple[date, str], list] = defaultdict(lambda: [0, Decimal(0)])
    with connect(conn_id) as conn:
        conn.execute(paths.sql("collection/lock_team"), params)
        run_id = conn.execute(paths.sql("collection/run_insert"), params).fetchone()[0]
        conn.execute(paths.sql("collection/delete_window"), params)
        count, total = 0, Decimal(0)
        try:
            with conn.cursor().copy(paths.sql("collection/copy_cost_rows")) as copy:
                copy.set_types(COPY_TYPES)
                for row in rows:
                    if not (window.start <= row.usage_date < window.end):
                        continue  # a bucket outside the asked window is not ours to replace
                    copy.write_row((
                        team_id, row.usage_date, row.project_id, row.line_item, row.currency, row.amount,
                        row.quantity, row.quantity_unit, row.organization_id, collected_at, dag_run_id, run_id,
                    ))
                    day = per_day[(row.usage_date, row.currency)]
                    day[0] += 1
                    day[1] += row.amount
                    count += 1
                    total += row.amount
        except psycopg.errors.UniqueViolation:
            raise DuplicateCostRow(
                f"The Costs API returned the same day, project, line item and currency twice for team {team_id} "
                f"in {window}; nothing was replaced; retry the run, and report it if it persists."
            ) from None
        with conn.cursor() as cur:
            cur.executemany(paths.sql("collection/run_day_insert"), [
                {"run_id": run_id, "usage_date": d, "currency": c, "rows": v[0], "amount_total": v[1]}
                for (d, c), v in sorted(per_day.items())
            ])
        conn.execute(paths.sql("collection/run_finish"), {
            "run_id": run_id, "rows": count, "amount_total": total,
            "pages": getattr(stats, "pages", 0), "requests": getattr(stats, "requests", 0),
            "retries": getattr(stats, "retries", 0),
        })
    if count >= ANALYZE_AFTER_ROWS:
        # Fresh statistics after a big load keep the validation's plans linear (see docs/performance.md).
        with connect(conn_id, autocommit=True) as conn:
            conn.execute("ANALYZE finops.cost_data")
    return LoadResult(run_id=run_id, rows=count, amount_total=total, per_day=dict(per_day))


def record_failure(team_id: str, window: Window, error: str, *, dag_run_id: str | None, started_at: datetime,
                   stats=None, conn_id: str = FINOPS_DB_CONN_ID) -> None:
    """Record a failed attempt (the message must hold no secret); cost rows are untouched."""
    with connect(conn_id) as conn:
        conn.execute(paths.sql("collection/run_failed_insert"), {
            "team_id": team_id, "window_start": window.start, "window_end": window.end, "error": error[:2000],
            "dag_run_id": dag_run_id, "started_at": started_at, "pages": getattr(stats, "pages", 0),
            "requests": getattr(stats, "requests", 0), "retries": getattr(stats, "retries", 0),
        })

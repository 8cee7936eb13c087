"""Which settled days of each spend series were judged for anomalies (``finops.anomaly_judgements``).

Each run of ``finops_spend_alerts`` judges every settled day with spend that no run judged yet, so a
red collection run (no Asset event), a range run, a backfill or a manual trigger never loses a spike,
and a day once judged is never judged again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from finops import paths
from finops.alerts.evaluate import SeriesKey, Verdict
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

if TYPE_CHECKING:
    import psycopg


def _teams(team_ids: Sequence[str] | None) -> list[str] | None:
    return list(team_ids) if team_ids is not None else None


def unjudged_days(before: date, team_ids: Sequence[str] | None = None,
                  conn_id: str = FINOPS_DB_CONN_ID) -> list[date]:
    """The settled days (before ``before``) with spend that some team's all-provider series has not had judged."""
    with connect(conn_id) as conn:
        rows = conn.execute(paths.sql("alerts/unjudged_days"), {"before": before, "team_ids": _teams(team_ids)})
        return [row[0] for row in rows]


def judged(start: date, end: date, team_ids: Sequence[str] | None = None,
           conn_id: str = FINOPS_DB_CONN_ID) -> set[tuple[SeriesKey, date]]:
    """The (series, day) pairs on [start, end) already judged."""
    params = {"start_date": start, "end_date": end, "team_ids": _teams(team_ids)}
    with connect(conn_id) as conn:
        rows = conn.execute(paths.sql("alerts/judged_days"), params).fetchall()
    return {((team, provider, scope, currency), day) for team, provider, scope, currency, day in rows}


def record(verdicts: Iterable[Verdict], as_of: date, conn: psycopg.Connection) -> int:
    """Record the settled days judged (provisional ones stay unjudged); call after their alerts are recorded.

    Copied in, then inserted in one statement: the first run after the upgrade judges the whole history.
    """
    rows = []
    for v in verdicts:
        if v.judgement.provisional:
            continue
        rows.append((*v.series, v.judgement.day, v.judgement.outcome, v.judgement.value, v.judgement.median, as_of))
    if rows:
        conn.execute(paths.sql("alerts/judgement_stage"))
        with conn.cursor() as cur:
            with cur.copy(paths.sql("alerts/judgement_copy")) as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(paths.sql("alerts/judgement_insert"))
    return len(rows)

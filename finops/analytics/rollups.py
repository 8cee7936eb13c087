"""Daily spend rollups, kept equal to ``finops.cost_data`` window by window (never a full rebuild on load).

The loader calls :func:`refresh_rollups` inside the transaction that replaced a team's window, so the
rollups and the cost rows commit (or roll back) together. Three tables, one grain each:

- ``spend_daily``: provider, team, day, project, model, family, token kind, tier, kind of cost, currency;
- ``spend_project_daily``: provider, team, day, project, currency (teams, projects, unattributed spend);
- ``spend_project_monthly``: the same per month, maintained by adding the window's change, so a period's
  teams and projects read a row per month instead of one per day;
- ``spend_model_daily``: provider, day, model, ..., currency over all teams, maintained by adding the
  window's change (new minus old), so the overview reads a few rows per day whatever the number of teams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from finops import paths
from finops.analytics.line_items import PARSER_VERSION, parse
from finops.analytics.restatements import Restatement, record_found

if TYPE_CHECKING:
    import psycopg


def _window(provider: str, team_id: str, window_start: date, window_end: date) -> dict[str, object]:
    return {"provider": provider, "team_id": team_id, "window_start": window_start, "window_end": window_end,
            "parser_version": PARSER_VERSION}


def store_line_items(conn: psycopg.Connection, items: list[tuple[str, str]], *, replace: bool = False) -> int:
    """Parse ``(provider, line item)`` pairs and store their dimensions, in sorted order (no deadlock).

    A load only adds line items never seen (existing rows are neither changed nor locked); ``replace``
    overwrites them (re-parse, rebuild).
    """
    rows = [{"provider": provider, "line_item": item, "parser_version": PARSER_VERSION,
             **parse(provider, item).as_row()} for provider, item in sorted(set(items))]
    if rows:
        with conn.cursor() as cur:
            cur.executemany(paths.sql("analytics/line_item_upsert" if replace else "analytics/line_item_insert"), rows)
    return len(rows)


def after_load(conn: psycopg.Connection, provider: str, team_id: str, window_start: date, window_end: date,
               run_id: int) -> list[Restatement]:
    """What the loader calls after a successful window replace, in its transaction: rollups and restatements.

    Call it after the run's ``collection_run_days`` rows are written. One round trip in the usual case.
    Returns the restated days (also logged and counted in the metric).
    """
    restatements = _refresh(conn, provider, team_id, window_start, window_end,
                            also=("analytics/restatements_record", {"run_id": run_id}))
    return record_found(provider, team_id, run_id, restatements)


def refresh_rollups(conn: psycopg.Connection, provider: str, team_id: str, window_start: date,
                    window_end: date) -> None:
    """Replace the rollups of one team's window ``[window_start, window_end)`` from its cost rows.

    Runs in the caller's transaction (the one that replaced the window in cost_data). Line items not seen
    before are parsed first. Safe to call again at any time: the result depends only on cost_data.
    """
    _refresh(conn, provider, team_id, window_start, window_end)


def _refresh(conn: psycopg.Connection, provider: str, team_id: str, window_start: date, window_end: date,
             also: tuple[str, dict] | None = None) -> list[tuple]:
    """The refresh, with ``also`` (a statement and its parameters) sent in the same pipeline; its rows."""
    params = _window(provider, team_id, window_start, window_end)
    # The usual case (no new line item) is one round trip: the refresh and ``also`` are pipelined. When the
    # window holds a line item never parsed, the refresh changes nothing and says so (-1): the new items are
    # parsed and the refresh run again (it depends only on cost_data).
    with conn.pipeline():
        refresh_cur = conn.execute(paths.sql("analytics/refresh_window"), params)
        also_cur = conn.execute(paths.sql(also[0]), also[1]) if also else None
    counts = refresh_cur.fetchall()
    also_rows = also_cur.fetchall() if also_cur else []
    if (-1,) in counts:
        missing = conn.execute(paths.sql("analytics/line_items_missing"), params).fetchall()
        store_line_items(conn, [(provider, item) for (item,) in missing])
        counts = conn.execute(paths.sql("analytics/refresh_window"), params).fetchall()
    if any(rows == 0 for (rows,) in counts):  # a model or monthly group lost its last cost row
        conn.execute(paths.sql("analytics/model_daily_drop_empty"), params)
    return also_rows


def rebuild(conn: psycopg.Connection) -> None:
    """Recompute every rollup from cost_data (after a migration or by hand; not part of a collection)."""
    missing = conn.execute(paths.sql("analytics/line_items_missing_all"),
                           {"parser_version": PARSER_VERSION}).fetchall()
    store_line_items(conn, [(provider, item) for provider, item in missing], replace=True)
    conn.execute(paths.sql("analytics/rebuild"))
    # Migration 0006 rebuilds before 0012 creates the monthly table (which then fills itself).
    if conn.execute("SELECT to_regclass('finops.spend_project_monthly')").fetchone()[0]:
        conn.execute(paths.sql("analytics/rebuild_monthly"))


@dataclass(frozen=True)
class ReparseResult:
    """What a re-parse did: line items parsed, how many changed, team windows refreshed."""

    parsed: int
    changed: int
    windows: int


def reparse(conn: psycopg.Connection) -> ReparseResult:
    """Parse every stored line item again with the current parser; refresh only the windows whose items changed."""
    stored = conn.execute(paths.sql("analytics/line_items_all")).fetchall()
    changed: list[tuple[str, str]] = []
    for provider, item, *dims, version in stored:
        fresh = parse(provider, item).as_row()
        old = dict(zip(("model", "model_family", "token_kind", "tier", "context", "cost_kind", "qualifier",
                        "recognized"), dims, strict=True))
        if fresh != old or version != PARSER_VERSION:
            changed.append((provider, item))
    store_line_items(conn, changed, replace=True)
    windows = []
    if changed:
        windows = conn.execute(paths.sql("analytics/windows_of_line_items"), {
            "providers": [p for p, _ in changed], "line_items": [i for _, i in changed]}).fetchall()
        for provider, team_id, start, end in windows:
            refresh_rollups(conn, provider, team_id, start, end)
    return ReparseResult(parsed=len(stored), changed=len(changed), windows=len(windows))

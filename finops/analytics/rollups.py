"""Daily spend rollups, kept equal to ``finops.cost_data`` by each load's change (never a full rebuild on load).

The loader calls :func:`after_load` inside the transaction that replaced a team's window, with the rows its
delete removed, so the rollups and the cost rows commit (or roll back) together. Each rollup gets the window's
change (new rows minus old rows), and only for the groups that changed: settled days loaded again write nothing.

- ``spend_daily``: a view of cost_data joined to the parsed line items (migration 0013; its grain is within a
  few percent of cost_data's, so a table of it doubled each load's writes);
- ``spend_project_daily``: provider, team, day, project, currency (teams, projects, unattributed spend);
- ``spend_project_monthly``: the same per month, so a period's teams and projects read a row per month
  instead of one per day;
- ``spend_model_daily``: provider, day, model, ..., currency over all teams, so the overview reads a few rows
  per day whatever the number of teams.
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
               run_id: int, old_sums: list[tuple] = ()) -> list[Restatement]:
    """What the loader calls after a successful window replace, in its transaction: rollups and restatements.

    ``old_sums`` is what the window's deleted rows contributed, as ``collection/delete_window.sql`` returns it.
    Call it after the run's ``collection_run_days`` rows are written. One round trip in the usual case.
    Returns the restated days (also logged and counted in the metric).
    """
    restatements = _apply_change(conn, provider, team_id, window_start, window_end, old_sums,
                                 also=("analytics/restatements_record", {"run_id": run_id}))
    return record_found(provider, team_id, run_id, restatements)


def _old_arrays(old_sums: list[tuple]) -> dict[str, list]:
    """``delete_window.sql``'s rows (grain, day, project, model dims, currency, amount, rows) as refresh arrays."""
    projects = [r for r in old_sums if r[0] == "p"]
    models = [r for r in old_sums if r[0] == "m"]
    return {"p_days": [r[1] for r in projects], "p_projects": [r[2] for r in projects],
            "p_currencies": [r[8] for r in projects], "p_amounts": [r[9] for r in projects],
            "p_rows": [r[10] for r in projects],
            "m_days": [r[1] for r in models], "m_models": [r[3] for r in models],
            "m_families": [r[4] for r in models], "m_token_kinds": [r[5] for r in models],
            "m_tiers": [r[6] for r in models], "m_cost_kinds": [r[7] for r in models],
            "m_currencies": [r[8] for r in models], "m_amounts": [r[9] for r in models],
            "m_rows": [r[10] for r in models]}


def _apply_change(conn: psycopg.Connection, provider: str, team_id: str, window_start: date, window_end: date,
                  old_sums: list[tuple], also: tuple[str, dict] | None = None) -> list[tuple]:
    """The window's change applied to the rollups, with ``also`` (a statement and its parameters) pipelined."""
    params = {**_window(provider, team_id, window_start, window_end), **_old_arrays(old_sums)}
    # The usual case (no new line item) is one round trip: the change and ``also`` are pipelined. When the
    # window holds a line item never parsed, the statement changes nothing and says so (-1): the new items are
    # parsed and the statement run again (it depends only on cost_data and the old sums).
    with conn.pipeline():
        change_cur = conn.execute(paths.sql("analytics/refresh_window"), params)
        also_cur = conn.execute(paths.sql(also[0]), also[1]) if also else None
    counts = change_cur.fetchall()
    also_rows = also_cur.fetchall() if also_cur else []
    if (-1,) in counts:
        missing = conn.execute(paths.sql("analytics/line_items_missing"), params).fetchall()
        store_line_items(conn, [(provider, item) for (item,) in missing])
        counts = conn.execute(paths.sql("analytics/refresh_window"), params).fetchall()
    if any(rows == 0 for (rows,) in counts):  # a group lost its last cost row
        conn.execute(paths.sql("analytics/drop_empty"), params)
    return also_rows


def refresh_rollups(conn: psycopg.Connection, provider: str, team_id: str, window_start: date,
                    window_end: date) -> None:
    """Recompute the rollups of one team's window ``[window_start, window_end)`` from cost_data.

    For repairs (a load's change is applied by :func:`after_load`): the team's project rollups of the window
    and its months, and the model rollup of the window's days over all teams. Runs in the caller's
    transaction; takes the team's lock and holds loads' model rollup changes until it commits. Line items
    not seen before are parsed first. Safe to call again at any time: the result depends only on cost_data.
    """
    params = _window(provider, team_id, window_start, window_end)
    conn.execute(paths.sql("collection/lock_team"), params)
    missing = conn.execute(paths.sql("analytics/line_items_missing"), params).fetchall()
    store_line_items(conn, [(provider, item) for (item,) in missing])
    conn.execute(paths.sql("analytics/lock_model_daily"))
    conn.execute(paths.sql("analytics/recompute_window"), params)


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
    """What a re-parse did: line items parsed, how many changed, days whose model rollup was recomputed."""

    parsed: int
    changed: int
    days: int


def reparse(conn: psycopg.Connection) -> ReparseResult:
    """Parse every stored line item again with the current parser; recompute only the days whose items changed.

    Only spend_model_daily depends on the dimensions (spend_project_* do not, spend_daily is a view).
    """
    stored = conn.execute(paths.sql("analytics/line_items_all")).fetchall()
    changed: list[tuple[str, str]] = []
    for provider, item, *dims, version in stored:
        fresh = parse(provider, item).as_row()
        old = dict(zip(("model", "model_family", "token_kind", "tier", "context", "cost_kind", "qualifier",
                        "recognized"), dims, strict=True))
        if fresh != old or version != PARSER_VERSION:
            changed.append((provider, item))
    days = 0
    if changed:
        conn.execute(paths.sql("analytics/lock_model_daily"))  # no load changes the model rollup meanwhile
        store_line_items(conn, changed, replace=True)
        affected = conn.execute(paths.sql("analytics/days_of_line_items"), {
            "providers": [p for p, _ in changed], "line_items": [i for _, i in changed]}).fetchall()
        for provider, provider_days in affected:
            conn.execute(paths.sql("analytics/recompute_model_days"), {"provider": provider, "days": provider_days})
            days += len(provider_days)
    return ReparseResult(parsed=len(stored), changed=len(changed), days=days)

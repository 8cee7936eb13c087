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

import decimal
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from finops import paths
from finops.analytics.line_items import PARSER_VERSION, parse
from finops.analytics.restatements import Restatement, record_found

if TYPE_CHECKING:
    import psycopg

ZERO = Decimal(0)
#: Enough digits that sums and differences of amounts are exact (the default context keeps 28).
EXACT = decimal.Context(prec=1000)


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


@dataclass(frozen=True)
class WindowSums:
    """What a window's new rows hold per rollup group: ``[rows, amount]`` per (day, project, currency) and per
    (day, line item, currency), summed by the loader while it spools them (exact decimals)."""

    by_project: dict[tuple[date, str, str], list]
    by_item: dict[tuple[date, str, str], list]


def after_load(conn: psycopg.Connection, provider: str, team_id: str, window_start: date, window_end: date,
               run_id: int, old: list[tuple] = (), new: WindowSums | None = None) -> list[Restatement]:
    """What the loader calls after a successful window replace, in its transaction: rollups and restatements.

    ``old`` is what the window's deleted rows held, as ``collection/delete_window.sql`` returns it, ``new``
    what its new rows hold. Only the groups whose sum or row count changed are written; the change and the
    restatement check are one round trip. Call it after the run's ``collection_run_days`` rows are written.
    Returns the restated days (also logged and counted in the metric).
    """
    params = _window(provider, team_id, window_start, window_end)
    change = _change(conn, provider, old, new or WindowSums({}, {}))
    with conn.pipeline():
        change_cur = conn.execute(paths.sql("analytics/refresh_window"), {**params, **change}) if change else None
        restated_cur = conn.execute(paths.sql("analytics/restatements_record"), {"run_id": run_id})
    counts = change_cur.fetchall() if change_cur else []
    restatements = restated_cur.fetchall()
    if any(rows == 0 for (rows,) in counts):  # a group lost its last cost row
        conn.execute(paths.sql("analytics/drop_empty"), params)
    return record_found(provider, team_id, run_id, restatements)


def _deltas(new: dict, old: dict) -> dict:
    """``key -> (rows, amount)`` of new minus old, for the keys whose rows or amount differ."""
    out = {}
    with decimal.localcontext(EXACT):
        for key in new.keys() | old.keys():
            new_rows, new_amount = new.get(key, (0, ZERO))
            old_rows, old_amount = old.get(key, (0, ZERO))
            if new_rows != old_rows or new_amount != old_amount:
                out[key] = (new_rows - old_rows, new_amount - old_amount)
    return out


def _grouped(deltas: dict, key) -> dict:
    """Deltas summed under ``key(old key)``; groups whose change cancels out are left out."""
    out: dict = {}
    with decimal.localcontext(EXACT):
        for old_key, (rows, amount) in deltas.items():
            group = out.setdefault(key(old_key), [0, ZERO])
            group[0] += rows
            group[1] += amount
    return {k: v for k, v in out.items() if v[0] != 0 or v[1] != 0}


def _change(conn: psycopg.Connection, provider: str, old: list[tuple], new: WindowSums) -> dict[str, list]:
    """The refresh's arrays: each changed group's delta per rollup ({} when nothing changed).

    Line items never parsed are parsed and stored first (``ON CONFLICT DO NOTHING``, sorted): no rollup row is
    locked yet, so two loads adding the same new line item cannot deadlock.
    """
    old_projects, old_items, dims = {}, {}, {}
    for grain, day, key, currency, amount, rows, *item_dims in old:
        if grain == "p":
            old_projects[(day, key, currency)] = (rows, amount)
        elif grain == "i":
            old_items[(day, key, currency)] = (rows, amount)
        else:
            dims[key] = tuple(item_dims)
    missing = sorted({item for _, item, _ in (*new.by_item, *old_items)} - dims.keys())
    if missing:
        store_line_items(conn, [(provider, item) for item in missing])
        for item in missing:
            row = parse(provider, item).as_row()
            dims[item] = (row["model"], row["model_family"], row["token_kind"], row["tier"], row["cost_kind"])
    days = _deltas(new.by_project, old_projects)
    items = _deltas(new.by_item, old_items)
    months = _grouped(days, lambda k: (k[0].replace(day=1), k[1], k[2]))
    models = _grouped(items, lambda k: (k[0], *dims[k[1]], k[2]))
    if not (days or months or models):
        return {}
    return {
        "p_days": [k[0] for k in days], "p_projects": [k[1] for k in days], "p_currencies": [k[2] for k in days],
        "p_rows": [v[0] for v in days.values()], "p_amounts": [v[1] for v in days.values()],
        "o_months": [k[0] for k in months], "o_projects": [k[1] for k in months],
        "o_currencies": [k[2] for k in months], "o_rows": [v[0] for v in months.values()],
        "o_amounts": [v[1] for v in months.values()],
        "m_days": [k[0] for k in models], "m_models": [k[1] for k in models], "m_families": [k[2] for k in models],
        "m_token_kinds": [k[3] for k in models], "m_tiers": [k[4] for k in models],
        "m_cost_kinds": [k[5] for k in models], "m_currencies": [k[6] for k in models],
        "m_rows": [v[0] for v in models.values()], "m_amounts": [v[1] for v in models.values()],
    }


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

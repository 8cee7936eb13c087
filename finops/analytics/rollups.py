"""Daily spend rollups, kept equal to ``finops.cost_data`` by each load's change (never a full rebuild on load).

The loader computes each load's change (:func:`window_change`: new rows minus the rows its delete removed, only
for the groups that changed, so settled days loaded again change nothing). A collection
applies its loads' changes right after them, up to 50 loads at a time in one statement (:class:`RollupBatch`); a direct
call of the loader applies its own in its transaction (:func:`apply_changes`). Until applied, a load's run is
pending (listed in ``rollup_pending``); a recompute claims every pending load, so each counts exactly once.

- ``spend_daily``: a view of cost_data joined to the parsed line items (migration 0013; its grain is within a
  few percent of cost_data's, so a table of it doubled each load's writes);
- ``spend_project_daily``: provider, team, day, project, currency (teams, projects, unattributed spend);
- ``spend_project_monthly``: the same per month, so a period's teams and projects read a row per month
  instead of one per day;
- ``spend_model_daily``: provider, day, model, ..., currency over all teams, so the overview reads a few rows
  per day whatever the number of teams;
- ``spend_key_daily`` and ``spend_key_monthly`` (migration 0020): provider, team, day or month, project, API key
  (None: no key), allocated, kind of cost (only for spend with no key outside ``unassigned``: its reason depends
  on it; '' otherwise) and currency, for the top keys, owners and unattributed panel (:func:`key_group`; the
  ``_key_*`` functions below keep them, next to the project rollups' statements).
- ``usage_model_daily`` (migration 0019): provider, team, day, model, token kind with the line items' cost beside
  usage_data's tokens and requests, for the usage panels (``include/sql/usage/page_segments.sql``). Not kept by
  changes: each load's team window is recomputed from cost_data and usage_data (:func:`refresh_usage_windows`) by
  the batch that applies the load's change (or the load's own transaction), under a per-team lock, so cost and usage
  replaced together stay exact whatever changed; a recompute (repair, re-parse, rebuild) covers it with the others.
"""

from __future__ import annotations

import decimal
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import msgspec

from finops import paths
from finops.analytics.line_items import PARSER_VERSION, parse
from finops.money import EXACT, ZERO

if TYPE_CHECKING:
    import psycopg

    from finops.warehouse.db import KeptConnections

log = logging.getLogger(__name__)

#: Loads whose changes a collect_team task applies together (finops_teams_per_task is 50 at 1,000 teams).
BATCH_LOADS = 50


def _window(provider: str, team_id: str, window_start: date, window_end: date) -> dict[str, object]:
    return {"provider": provider, "team_id": team_id, "window_start": window_start, "window_end": window_end,
            "parser_version": PARSER_VERSION}


def store_line_items(conn: psycopg.Connection, items: list[tuple[str, str]], *, replace: bool = False) -> int:
    """Parse ``(provider, line item)`` pairs and store their dimensions, in sorted order (no deadlock).

    A batch only adds line items never seen (existing rows are neither changed nor locked); ``replace``
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
    """What a window's new rows hold per rollup group: ``[rows, amount]`` per (day, project, currency), per
    (day, line item, currency) and per key group (:func:`key_group`), summed by the loader while it spools them
    (exact decimals)."""

    by_project: dict[tuple[date, str, str], list]
    by_item: dict[tuple[date, str, str], list]
    by_key: dict[tuple, list] = field(default_factory=dict)


class CostKinds(dict):
    """Line item -> kind of cost, for the key rollups' groups of spend with no key: as ``line_items`` stores it
    (:func:`stored_cost_kinds`), or as the current parser gives it for a line item not stored yet (what
    :func:`store_line_items` will store; a batch whose load brings it recomputes instead)."""

    def __init__(self, provider: str, stored: dict[str, str] | None = None) -> None:
        super().__init__(stored or {})
        self.provider = provider

    def __missing__(self, item: str) -> str:
        kind = self[item] = parse(self.provider, item).cost_kind
        return kind


def stored_cost_kinds(conn: psycopg.Connection, provider: str, items: Iterable[str]) -> CostKinds:
    """The kinds of cost ``line_items`` holds for ``items`` (the others parsed when asked for)."""
    items = sorted(set(items))
    stored = {item: rest[-1] for item, *rest in conn.execute(
        paths.sql("analytics/line_item_dimensions"), {"provider": provider, "line_items": items})} if items else {}
    return CostKinds(provider, stored)


def key_group(day: date, project_id: str, line_item: str, currency: str, api_key_id: str | None,
              allocated: bool, kinds: CostKinds) -> tuple:
    """A cost row's group in spend_key_daily: (day, project, key, allocated, kind of cost or '', currency). The
    kind of cost (``kinds``) is kept only for spend with no key outside ``unassigned`` (the panel's reason for it
    depends on it); the same rule as the SQL of ``include/sql/attribution/rollup_*.sql``."""
    return (day, project_id, api_key_id, bool(allocated),
            kinds[line_item] if api_key_id is None and project_id != "unassigned" else "", currency)


@dataclass(frozen=True)
class RollupChange:
    """One load's change to the rollups: ``(rows, amount)`` of its new rows minus its deleted rows, for the groups
    that changed only, per (day, project, currency) and per (day, line item, currency). Empty when the window was
    loaded again unchanged."""

    run_id: int
    provider: str
    team_id: str
    days: dict[tuple, tuple[int, Decimal]] = field(default_factory=dict)
    items: dict[tuple, tuple[int, Decimal]] = field(default_factory=dict)
    #: Per key group (:func:`key_group`): spend_key_daily and spend_key_monthly.
    keys: dict[tuple, tuple[int, Decimal]] = field(default_factory=dict)
    #: The load grouped spend with no key by the parser's kinds of cost where ``line_items`` stores another (a
    #: re-parse not run yet): its key groups are unknown, so it is recomputed instead of applied.
    stale: bool = False


def deleted_sums(deleted: list[tuple], *, summed: bool, kinds: CostKinds | None = None) -> WindowSums:
    """What a window's deleted rows held per rollup group: from their rows (``collection/delete_window.sql``) or
    already summed (``collection/delete_window_summed.sql``, the key groups' kinds of cost as stored, or the line
    item where none is). ``kinds``: the load's (:class:`CostKinds`)."""
    kinds = kinds if kinds is not None else CostKinds("openai")
    by_project: dict = defaultdict(lambda: [0, ZERO])
    by_item: dict = defaultdict(lambda: [0, ZERO])
    by_key: dict = defaultdict(lambda: [0, ZERO])
    if summed:
        for grain, day, key, currency, amount, rows, api_key_id, allocated, kind, unstored in deleted:
            if grain == "k":
                group = by_key[(day, key, api_key_id, allocated, kinds[unstored] if unstored else kind, currency)]
                group[0] += rows
                group[1] = EXACT.add(group[1], amount)
            else:
                (by_project if grain == "p" else by_item)[(day, key, currency)] = [rows, amount]
        return WindowSums(by_project, by_item, by_key)
    with decimal.localcontext(EXACT):
        for day, project, item, currency, amount, api_key_id, allocated in deleted:
            for group in (by_project[(day, project, currency)], by_item[(day, item, currency)],
                          by_key[key_group(day, project, item, currency, api_key_id, allocated, kinds)]):
                group[0] += 1
                group[1] += amount
    return WindowSums(by_project, by_item, by_key)


def window_change(provider: str, team_id: str, run_id: int, old: WindowSums, new: WindowSums) -> RollupChange:
    """A load's change: its new rows' sums minus its deleted rows' (:func:`deleted_sums`), where they differ."""
    return RollupChange(run_id, provider, team_id, days=_deltas(new.by_project, old.by_project),
                        items=_deltas(new.by_item, old.by_item), keys=_deltas(new.by_key, old.by_key))


def apply_changes(conn: psycopg.Connection, changes: Sequence[RollupChange], *, repair: bool = False) -> int:
    """Apply loads' changes to the rollups, in the caller's transaction; returns how many were applied.

    Each change's run is claimed first (``rollup_pending``): a change whose run a recompute already claimed is left
    out, so every load counts exactly once. The claimed changes are summed per group, exactly; the line items' model
    groups are read from ``line_items`` (the ones never seen are parsed and stored first, in sorted order, before
    any rollup row is locked: two batches adding the same new line item cannot deadlock); one statement per
    provider writes them (``refresh_window.sql``); groups left with no row are removed.

    ``repair`` (a batch's own transaction, before it has taken any lock): when a change brings a line item that
    ``line_items`` lacks, the batch recomputes instead (:func:`_recompute_changes`), so a line item missing for any
    reason (new, or lost with its rows uncounted) ends with its rows counted exactly once.
    """
    if not changes:
        return 0
    if repair and _missing_items(conn, changes):
        return _recompute_changes(conn, changes)
    if any(c.stale for c in changes):
        return _recompute_stale(conn, changes)
    with conn.pipeline():  # a recompute waits for this transaction (it cannot claim these runs under us)
        conn.execute(paths.sql("analytics/lock_rollups_for_load"))
        claim = conn.execute(paths.sql("analytics/claim_changes"), {"run_ids": [c.run_id for c in changes]})
    claimed = {run_id for (run_id,) in claim.fetchall()}
    for provider in sorted({c.provider for c in changes}):
        mine = [c for c in changes if c.provider == provider and c.run_id in claimed]
        _key_apply(conn, provider, mine)
        arrays = _arrays(mine, _dimensions(conn, provider, {k[1] for c in mine for k in c.items}))
        if not arrays:
            continue
        (emptied,) = conn.execute(paths.sql("analytics/refresh_window"), {"provider": provider, **arrays}).fetchone()
        if emptied:  # a group lost its last cost row
            conn.execute(paths.sql("analytics/drop_empty"), {"provider": provider, **arrays})
    refresh_usage_windows(conn, _load_windows(conn, changes))  # every load's window, claimed or not, changed or not
    return len(claimed)


def _recompute_stale(conn: psycopg.Connection, changes: Sequence[RollupChange]) -> int:
    """Changes of which one has stale key groups (:attr:`RollupChange.stale`): every pending load recomputed from
    cost_data under the recompute's lock instead (its windows, with the kinds of cost as stored). Rare: only
    between a parser upgrade and the re-parse that follows it."""
    conn.execute(paths.sql("analytics/lock_model_daily"))
    claimed = _settle_pending(conn)
    refresh_usage_windows(conn, _load_windows(conn, changes))
    return len({c.run_id for c in changes} & set(claimed))


def _missing_items(conn: psycopg.Connection, changes: Sequence[RollupChange]) -> dict[str, list[str]]:
    """Per provider, the changes' line items that have no dimensions in ``line_items``."""
    missing = {}
    for provider in sorted({c.provider for c in changes}):
        items = {k[1] for c in changes if c.provider == provider for k in c.items}
        if items:
            stored = {item for (item, *_) in conn.execute(
                paths.sql("analytics/line_item_dimensions"), {"provider": provider, "line_items": sorted(items)})}
            if items - stored:
                missing[provider] = sorted(items - stored)
    return missing


def _recompute_changes(conn: psycopg.Connection, changes: Sequence[RollupChange]) -> int:
    """A batch whose loads bring line items without dimensions: recomputed from cost_data instead of applied.

    Whether such an item's rows are counted in spend_model_daily is unknown (a new item has none yet; one whose
    dimensions were lost may have rows counted or not), so under the recompute's lock its days are recomputed over
    all teams with every pending load, this batch's included. Another batch that stored the items meanwhile
    recomputed them already: then the changes are applied as usual. Once per new line item.
    """
    conn.execute(paths.sql("analytics/lock_model_daily"))
    missing = _missing_items(conn, changes)
    if not missing:
        return apply_changes(conn, changes)
    affected = conn.execute(paths.sql("analytics/days_of_line_items"), {
        "providers": [p for p, items in missing.items() for _ in items],
        "line_items": [i for items in missing.values() for i in items]}).fetchall()
    claimed = _settle_pending(conn, model_days={provider: set(days) for provider, days in affected})
    return len({c.run_id for c in changes} & set(claimed))


def _dimensions(conn: psycopg.Connection, provider: str, items: set[str]) -> dict[str, tuple]:
    """Line item -> (model, family, token kind, tier, kind of cost), as stored; the missing ones parsed and stored."""
    if not items:
        return {}
    dims = {item: tuple(rest) for item, *rest in conn.execute(
        paths.sql("analytics/line_item_dimensions"), {"provider": provider, "line_items": sorted(items)})}
    missing = sorted(items - dims.keys())
    if missing:
        store_line_items(conn, [(provider, item) for item in missing])
        for item in missing:
            row = parse(provider, item).as_row()
            dims[item] = (row["model"], row["model_family"], row["token_kind"], row["tier"], row["cost_kind"])
    return dims


def _deltas(new: dict, old: dict) -> dict:
    """``key -> (rows, amount)`` of new minus old, for the keys whose rows or amount differ."""
    out = {}
    with decimal.localcontext(EXACT):
        for key, (new_rows, new_amount) in new.items():
            if (found := old.get(key)) is None:
                if new_rows or new_amount:
                    out[key] = (new_rows, new_amount)
            elif new_rows != found[0] or new_amount != found[1]:
                out[key] = (new_rows - found[0], new_amount - found[1])
        for key, (old_rows, old_amount) in old.items():
            if key not in new and (old_rows or old_amount):
                out[key] = (-old_rows, -old_amount)
    return out


def _grouped(deltas: Iterable[tuple[tuple, tuple]], key) -> dict:
    """``(key, (rows, amount))`` pairs summed under ``key(old key)``; groups whose change cancels out are left out."""
    out: dict = {}
    with decimal.localcontext(EXACT):
        for old_key, (rows, amount) in deltas:
            new_key = key(old_key)
            if (group := out.get(new_key)) is None:
                out[new_key] = [rows, amount]
            else:
                group[0] += rows
                group[1] += amount
    return {k: v for k, v in out.items() if v[0] != 0 or v[1] != 0}


def _arrays(changes: list[RollupChange], dims: dict[str, tuple]) -> dict[str, str]:
    """``refresh_window.sql``'s rows: the changes summed per group, one JSON array per rollup, amounts as exact
    text ({} when nothing changed)."""
    days = _grouped((((c.team_id, *k), v) for c in changes for k, v in c.days.items()), lambda k: k)
    months = _grouped(days.items(), lambda k: (k[0], k[1].replace(day=1), k[2], k[3]))
    models = _grouped(((k, v) for c in changes for k, v in c.items.items()), lambda k: (k[0], *dims[k[1]], k[2]))
    if not (days or months or models):
        return {}
    encode = msgspec.json.encode  # exact decimals as their str(), days as ISO text: what the SQL casts back
    return {
        "days": encode([[t, d, p, c, amount, rows] for (t, d, p, c), (rows, amount) in days.items()]).decode(),
        "months": encode([[t, m, p, c, amount, rows] for (t, m, p, c), (rows, amount) in months.items()]).decode(),
        "models": encode([[*key, amount, rows] for key, (rows, amount) in models.items()]).decode(),
    }


class RollupBatch:
    """The rollup changes of one ``collect_team`` task's loads, applied right after them, a batch at a time.

    The loader hands each committed load's change to :meth:`add`; once ``size`` changes wait, the thread that
    added the last applies them all in one transaction on its kept connection (one statement instead of one per
    load, and the model rows every team touches are updated once a batch). :meth:`flush` applies the rest at the
    end of the task and raises what went wrong; a batch that failed earlier is kept for it. Until applied, a
    load's run is pending; a task that dies leaves its runs pending, and its retry (or any task an hour later)
    recomputes them (:func:`repair_orphans`).
    """

    def __init__(self, connections: KeptConnections, size: int = BATCH_LOADS) -> None:
        self.connections = connections
        self.size = size
        self.applied = 0
        #: Seconds spent applying batches (their transactions, commit included).
        self.seconds = 0.0
        self._waiting: list[RollupChange] = []
        self._lock = threading.Lock()

    def add(self, change: RollupChange) -> None:
        with self._lock:
            self._waiting.append(change)
            if len(self._waiting) < self.size:
                return
            todo, self._waiting = self._waiting, []
        try:
            self._apply(todo)
        except Exception as exc:  # noqa: BLE001 - kept for flush(), which reports it
            log.warning("Rollups: applying %d loads' changes failed (%s); retried at the end of the task.",
                        len(todo), type(exc).__name__)
            with self._lock:
                self._waiting[:0] = todo

    def flush(self) -> None:
        """Apply every change still waiting (at the end of the task); raises when that fails."""
        with self._lock:
            todo, self._waiting = self._waiting, []
        if todo:
            self._apply(todo)

    def _apply(self, todo: list[RollupChange]) -> None:
        started = time.perf_counter()
        with self.connections.transaction() as conn:
            # The commit need not wait for its WAL flush: a crash can only lose the whole batch, claims included
            # (one transaction), which leaves its loads pending, to be recomputed (repair_orphans).
            conn.execute("SET LOCAL synchronous_commit = off")
            applied = apply_changes(conn, todo, repair=True)
        with self._lock:
            self.applied += applied
            self.seconds += time.perf_counter() - started


def repair_orphans(conn: psycopg.Connection, provider: str, dag_run_id: str, team_ids: list[str] | None) -> int:
    """Recompute the rollups of loads whose change no batch will apply; returns how many runs were recomputed.

    Those are this DAG run's loads of ``team_ids`` (``None``: of every team, once all the run's collect_team
    tasks are done) still pending after the tasks' own batches were applied (a try died after loading them, and
    its retry skipped them or never came), and any load still pending an hour after it finished. Nearly always
    none: then this is one read of a table of a few rows.
    """
    params = {"provider": provider, "dag_run_id": dag_run_id, "team_ids": None if team_ids is None else list(team_ids)}
    (orphans,) = conn.execute(paths.sql("analytics/orphaned_changes"), params).fetchone()
    if not orphans:
        return 0
    conn.execute(paths.sql("analytics/lock_model_daily"))
    return len(_settle_pending(conn))


def _settle_pending(conn: psycopg.Connection, windows: Iterable[tuple[str, str, date, date]] = (),
                    model_days: dict[str, set[date]] | None = None) -> list[int]:
    """Claim every pending load and recompute its groups from cost_data, with ``windows`` (provider, team, start,
    end: their project rollups) and ``model_days`` (per provider: their model rollup); returns the runs claimed.

    The caller holds ``lock_model_daily.sql``: no load or batch is in a transaction meanwhile, so what is claimed
    is exactly what cost_data holds and no batch applied. A claimed load's window is recomputed for its team and,
    for the model rollup, its days over all teams (every other pending load on those days is claimed as well).
    """
    claimed = conn.execute(paths.sql("analytics/claim_pending")).fetchall()
    days: dict[str, set[date]] = {p: set(d) for p, d in (model_days or {}).items()}
    team_windows = sorted({*windows, *(tuple(row[1:]) for row in claimed)})
    for provider, team_id, start, end in team_windows:
        conn.execute(paths.sql("analytics/recompute_project_window"), _window(provider, team_id, start, end))
        days.setdefault(provider, set()).update(start + timedelta(days=n) for n in range((end - start).days))
    for provider, provider_days in sorted(days.items()):
        ordered = sorted(provider_days)
        missing = conn.execute(paths.sql("analytics/line_items_missing"),
                               {"provider": provider, "days": ordered}).fetchall()
        store_line_items(conn, [(provider, item) for (item,) in missing])
        conn.execute(paths.sql("analytics/recompute_model_days"), {"provider": provider, "days": ordered})
    refresh_usage_windows(conn, team_windows)
    recompute_usage_days(conn, model_days or {})
    _key_recompute(conn, team_windows, model_days or {})  # after the line items were stored
    return [run_id for run_id, *_ in claimed]


def refresh_rollups(conn: psycopg.Connection, provider: str, team_id: str, window_start: date,
                    window_end: date) -> None:
    """Recompute the rollups of one team's window ``[window_start, window_end)`` from cost_data.

    For repairs and tests (loads apply their change through :func:`apply_changes`): the team's project rollups of
    the window and its months, and the model rollup of the window's days over all teams; every pending load is
    recomputed with them. Runs in the caller's transaction and keeps loads and batches out until it commits.
    Line items not seen before are parsed first. Safe to call again at any time: the result depends only on
    cost_data.
    """
    conn.execute(paths.sql("analytics/lock_model_daily"))
    _settle_pending(conn, windows=[(provider, team_id, window_start, window_end)])


def rebuild(conn: psycopg.Connection) -> None:
    """Recompute every rollup from cost_data (after a migration or by hand; not part of a collection).

    The recompute's lock comes first: the line items read, the cost rows summed and the loads claimed are then one
    state of cost_data, so a load committing before it is counted whole (its new line items stored here) and one
    committing later waits and is applied after.
    """
    conn.execute(paths.sql("analytics/lock_model_daily"))
    missing = conn.execute(paths.sql("analytics/line_items_missing_all"),
                           {"parser_version": PARSER_VERSION}).fetchall()
    store_line_items(conn, [(provider, item) for provider, item in missing], replace=True)
    conn.execute(paths.sql("analytics/rebuild"))
    if _has_pending_table(conn):  # migration 0006 rebuilds before 0014 adds it
        conn.execute(paths.sql("analytics/claim_pending")).fetchall()  # recomputed above: nothing left to apply
    # Migration 0006 rebuilds before 0012 creates the monthly table (which then fills itself).
    if conn.execute("SELECT to_regclass('finops.spend_project_monthly')").fetchone()[0]:
        conn.execute(paths.sql("analytics/rebuild_monthly"))
    rebuild_usage(conn)
    _key_rebuild(conn)


# The key rollups (spend_key_daily, spend_key_monthly; migration 0020): kept by the same changes, recomputes and
# rebuilds as the project rollups, their statements in include/sql/attribution/rollup_*.sql. Spend with no key is
# grouped by its line items' kind of cost, so the days a re-parse recomputes in spend_model_daily are recomputed
# here too.

def _has_key_rollups(conn: psycopg.Connection) -> bool:
    return bool(conn.execute("SELECT to_regclass('finops.spend_key_daily')").fetchone()[0])


def _key_apply(conn: psycopg.Connection, provider: str, changes: list[RollupChange]) -> None:
    """The claimed changes' key groups summed per (team, group) and per (team, month), added to the key rollups
    in one statement (``rollup_refresh.sql``); groups left with no row removed."""
    days = _grouped((((c.team_id, *k), v) for c in changes for k, v in c.keys.items()), lambda k: k)
    if not days:
        return
    months = _grouped(days.items(), lambda k: (k[0], k[1].replace(day=1), *k[2:]))
    encode = msgspec.json.encode  # as _arrays: exact decimals as their str(), days as ISO text
    arrays = {
        "key_days": encode([[*k, amount, rows] for k, (rows, amount) in days.items()]).decode(),
        "key_months": encode([[*k, amount, rows] for k, (rows, amount) in months.items()]).decode(),
    }
    (emptied,) = conn.execute(paths.sql("attribution/rollup_refresh"), {"provider": provider, **arrays}).fetchone()
    if emptied:
        conn.execute(paths.sql("attribution/rollup_drop_empty"), {"provider": provider, **arrays})


def _key_recompute(conn: psycopg.Connection, windows: list[tuple[str, str, date, date]],
                   item_days: dict[str, set[date]]) -> None:
    """Under the recompute's lock, with the line items stored: each team window's key rollups (days and months)
    recomputed from cost_data, and the days whose line items a re-parse changed or stored (``item_days``, per
    provider) over all teams, their months summed again from the days."""
    if not _has_key_rollups(conn):
        return
    for provider, team_id, start, end in windows:
        conn.execute(paths.sql("attribution/rollup_recompute_window"), _window(provider, team_id, start, end))
    for provider, provider_days in sorted(item_days.items()):
        if provider_days:
            ordered = sorted(provider_days)
            conn.execute(paths.sql("attribution/rollup_recompute_days"), {"provider": provider, "days": ordered})
            conn.execute(paths.sql("attribution/rollup_recompute_months"),
                         {"provider": provider, "months": sorted({d.replace(day=1) for d in ordered})})


def _key_rebuild(conn: psycopg.Connection) -> None:
    """Both key rollups recomputed from cost_data (a rebuild; migrations before 0020 have no such table)."""
    if _has_key_rollups(conn):
        conn.execute(paths.sql("attribution/rollup_rebuild"))


def _has_pending_table(conn: psycopg.Connection) -> bool:
    return bool(conn.execute(
        "SELECT to_regclass('finops.rollup_pending')").fetchone()[0])


@dataclass(frozen=True)
class ReparseResult:
    """What a re-parse did: line items parsed, how many changed, how many cost_data held without dimensions (stored
    now), days whose model rollup was recomputed."""

    parsed: int
    changed: int
    days: int
    missing: int = 0


def reparse(conn: psycopg.Connection) -> ReparseResult:
    """Parse every line item again with the current parser; recompute only the days whose items changed.

    A line item of cost_data with no dimensions at all (whatever lost them) is parsed and stored, and its days
    recomputed, too. Everything is read under the recompute's lock, so a load committing meanwhile is either
    seen here or applied after. Only spend_model_daily and usage_model_daily depend on the dimensions
    (spend_project_* do not, spend_daily is a view).
    """
    conn.execute(paths.sql("analytics/lock_model_daily"))  # no load or batch changes cost_data or the rollups now
    stored = conn.execute(paths.sql("analytics/line_items_all")).fetchall()
    known = {(provider, item) for provider, item, *_ in stored}
    missing = [(provider, item) for provider, item in conn.execute(
        paths.sql("analytics/line_items_missing_all"), {"parser_version": PARSER_VERSION})
        if (provider, item) not in known]
    changed: list[tuple[str, str]] = []
    for provider, item, *dims, version in stored:
        fresh = parse(provider, item).as_row()
        old = dict(zip(("model", "model_family", "token_kind", "tier", "context", "cost_kind", "qualifier",
                        "recognized"), dims, strict=True))
        if fresh != old or version != PARSER_VERSION:
            changed.append((provider, item))
    days = 0
    if changed or missing:
        store_line_items(conn, changed + missing, replace=True)
        affected = conn.execute(paths.sql("analytics/days_of_line_items"), {
            "providers": [p for p, _ in changed + missing], "line_items": [i for _, i in changed + missing]}).fetchall()
        # Pending loads' old rows are counted under the old dimensions: they are recomputed with these days.
        _settle_pending(conn, model_days={provider: set(provider_days) for provider, provider_days in affected})
        days = sum(len(provider_days) for _, provider_days in affected)
    return ReparseResult(parsed=len(stored), changed=len(changed), days=days, missing=len(missing))


# -- usage_model_daily: the usage panels' rollup (migration 0019), recomputed per team window -------------------------

def _load_windows(conn: psycopg.Connection, changes: Sequence[RollupChange]) -> list[tuple[str, str, date, date]]:
    """The (provider, team, window start, window end) of the loads behind ``changes`` (their collection runs)."""
    return [tuple(row) for row in conn.execute(paths.sql("analytics/usage_model_windows"),
                                               {"run_ids": sorted({c.run_id for c in changes})})]


def _has_usage_rollup(conn: psycopg.Connection) -> bool:
    return bool(conn.execute("SELECT to_regclass('finops.usage_model_daily')").fetchone()[0])


def refresh_usage_windows(conn: psycopg.Connection, windows: Iterable[tuple[str, str, date, date]]) -> int:
    """Recompute ``usage_model_daily`` over team windows (provider, team, start, end) from cost_data, line_items
    and usage_data, in the caller's transaction; returns the windows recomputed.

    Called where a load's change is applied (its batch, or the load's own transaction) and by every recompute
    (repair, :func:`refresh_rollups`), after the windows' line items are stored. The result depends only on the
    tables it reads: applied twice, or for a load a recompute claimed already, it changes nothing. The teams' usage
    lock (``usage_model_lock_teams.sql``, sorted) keeps two recomputes of a team apart, so the last one to run reads
    every committed load; the caller holds the rollups' lock, so no re-parse or rebuild runs meanwhile.
    """
    windows = sorted(set(windows))
    if not windows or not _has_usage_rollup(conn):
        return 0
    teams = sorted({(provider, team_id) for provider, team_id, *_ in windows})
    months: dict[tuple[str, str, date, date], date] = {}  # (provider, team, first, stop) -> first changed day
    for provider, team_id, start, end in windows:
        key = (provider, team_id, *_months(start, end))
        months[key] = min(start, months.get(key, start))
    has_mtd = _has_usage_mtd(conn)
    with conn.pipeline():
        conn.execute(paths.sql("analytics/usage_model_lock_teams"),
                     {"providers": [p for p, _ in teams], "team_ids": [t for _, t in teams]})
        for provider, team_id, start, end in windows:
            conn.execute(paths.sql("analytics/usage_model_refresh_window"),
                         {"provider": provider, "team_id": team_id, "window_start": start, "window_end": end})
        for (provider, team_id, first, stop), changed in sorted(months.items()) if has_mtd else ():
            _refresh_mtd(conn, provider, team_id, first, stop, changed)
    return len(windows)


def recompute_usage_days(conn: psycopg.Connection, days: dict[str, set[date]]) -> None:
    """Recompute ``usage_model_daily`` on some days of each provider over all teams (a re-parse changed line items,
    or stored missing ones); the caller holds the recompute's lock (``lock_model_daily.sql``)."""
    if not any(days.values()) or not _has_usage_rollup(conn):
        return
    for provider, provider_days in sorted(days.items()):
        if provider_days:
            conn.execute(paths.sql("analytics/usage_model_recompute_days"),
                         {"provider": provider, "days": sorted(provider_days)})
            for month in sorted({d.replace(day=1) for d in provider_days}) if _has_usage_mtd(conn) else ():
                changed = min(d for d in provider_days if d.replace(day=1) == month)
                _refresh_mtd(conn, provider, None, *_months(month, month + timedelta(days=1)), changed)


def rebuild_usage(conn: psycopg.Connection) -> None:
    """Recompute ``usage_project_daily`` and ``usage_model_daily`` whole (part of :func:`rebuild`; alone after a bulk
    load of usage rows, under the recompute's lock). Migration 0006 rebuilds before 0019 creates it (which then fills
    itself)."""
    rebuild_usage_sums(conn)
    if _has_usage_rollup(conn):
        conn.execute(paths.sql("analytics/lock_model_daily"))
        conn.execute(paths.sql("analytics/usage_model_rebuild"))
        rebuild_usage_mtd(conn)


def rebuild_usage_sums(conn: psycopg.Connection) -> None:
    """Recompute ``usage_project_daily`` (usage_data's sums, migration 0026) whole: its fill, and a rebuild's repair
    of what its triggers could not see (a restore with triggers disabled). Earlier migrations have no such table."""
    if conn.execute("SELECT to_regclass('finops.usage_project_daily')").fetchone()[0]:
        conn.execute(paths.sql("analytics/usage_project_daily_rebuild"))


# -- usage_model_mtd: month-to-date sums of usage_model_daily (migration 0021), recomputed with it ------------------

def _has_usage_mtd(conn: psycopg.Connection) -> bool:
    return bool(conn.execute("SELECT to_regclass('finops.usage_model_mtd')").fetchone()[0])


def _months(start: date, end: date) -> tuple[date, date]:
    """The whole months ``[first, stop)`` that the days ``[start, end)`` touch."""
    return start.replace(day=1), ((end - timedelta(days=1)).replace(day=1) + timedelta(days=32)).replace(day=1)


def _refresh_mtd(conn: psycopg.Connection, provider: str, team_id: str | None, first: date, stop: date,
                 changed: date | None = None) -> None:
    """Recompute ``usage_model_mtd`` over the whole months ``[first, stop)`` of ``team_id`` (None: every team of
    ``provider``) from usage_model_daily as it now is in this transaction (``usage_model_mtd_refresh.sql``). Its
    sums run from the first of the month, so a changed day changes every later day of its month, and none before:
    the rows from ``changed`` (default ``first``) to the end of the months are written."""
    conn.execute(paths.sql("analytics/usage_model_mtd_refresh"),
                 {"provider": provider, "team_id": team_id, "first": first, "stop": stop,
                  "changed": changed or first})


def rebuild_usage_mtd(conn: psycopg.Connection) -> None:
    """Recompute ``usage_model_mtd`` whole from usage_model_daily (a rebuild, migration 0021's fill)."""
    if not _has_usage_mtd(conn):
        return
    conn.execute("SET LOCAL work_mem = '256MB'")  # the windows' sorts of a whole table: in memory, not on disk
    conn.execute("TRUNCATE finops.usage_model_mtd")
    bounds = conn.execute("SELECT provider::text, min(usage_date), max(usage_date) FROM finops.usage_model_daily "
                          "GROUP BY provider ORDER BY provider").fetchall()
    for provider, first, last in bounds:
        _refresh_mtd(conn, provider, None, *_months(first, last + timedelta(days=1)))

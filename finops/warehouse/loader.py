"""Window replace: a team's cost rows are fetched into a local spool first, then replaced in one short transaction."""

from __future__ import annotations

import marshal
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import IO, TYPE_CHECKING

from finops import paths
from finops.errors import FinopsError
from finops.money import EXACT
from finops.warehouse.db import FINOPS_DB_CONN_ID, KeptConnections, connect

if TYPE_CHECKING:
    import psycopg

    from finops.analytics.rollups import RollupBatch
    from finops.costs.models import CostRow


#: Column types of ``copy_cost_rows.sql``, for binary COPY (about 1.35x text COPY, measured in docs/performance.md).
COPY_TYPES = ("text", "date", "text", "text", "text", "numeric", "numeric", "text", "text", "timestamptz", "text",
              "int8", "text", "text", "text", "text", "text", "text", "text", "text", "bool")

#: Rows per spooled chunk: what is held in memory while fetching or loading (a page is up to 54,000 rows).
SPOOL_CHUNK_ROWS = 10_000

ANALYZE_AFTER_ROWS = 100_000

#: The delete of a window: returns the old rows' rollup fields (a short window) or their sums per rollup group
#: (a longer one); the bench swaps in a plain one.
DELETE_WINDOW = "collection/delete_window"
DELETE_WINDOW_SUMMED = "collection/delete_window_summed"
#: Windows up to this many days (and a chunk of new rows) return their deleted rows rather than their sums (a
#: daily run's window is 3 days).
DELETED_ROWS_MAX_DAYS = 7
#: The restatement check (the bench swaps in one that finds none).
RESTATEMENTS = "analytics/restatements_record"


class DuplicateCostRow(FinopsError):
    """The API returned the same (day, project, line item, currency, API key) twice in one window."""


class SettledCostsDropped(FinopsError):
    """The API now reports much less for settled days than was loaded before (an empty or short answer)."""


@dataclass(frozen=True, slots=True)
class Window:
    """UTC days ``[start, end)``."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __str__(self) -> str:
        last = self.end - timedelta(days=1)
        return f"{self.start}" if last == self.start else f"{self.start}..{last}"


@dataclass(frozen=True, slots=True)
class DropGuard:
    """Refuse a load whose total for a settled day (before ``settled_before``) fell by more than ``max_drop``."""

    settled_before: date
    max_drop: Decimal


@dataclass(slots=True)
class LoadResult:
    run_id: int
    rows: int = 0
    amount_total: Decimal = Decimal(0)
    per_day: dict[tuple[date, str], list] = field(default_factory=dict)
    #: Seconds the replacing transaction (and the team's lock) was held; the fetch is not part of it.
    transaction_seconds: float = 0.0
    #: Days whose totals differ from the previous load (finops.analytics.restatements.Restatement).
    restated: list = field(default_factory=list)
    #: What unregistered scopes cost in the window (finops.costs.models.SkippedCost), as recorded.
    skipped: list = field(default_factory=list)


@dataclass(slots=True)
class _Spool:
    rows: int = 0
    amount_total: Decimal = Decimal(0)
    per_day: dict[tuple[date, str], list] = field(default_factory=lambda: defaultdict(lambda: [0, Decimal(0)]))
    #: [rows, amount] per (day, project, currency) and per (day, line item, currency): the window's new
    #: contribution to the rollups (finops.analytics.rollups), bounded by days, not rows.
    by_project: dict[tuple[date, str, str], list] = field(default_factory=lambda: defaultdict(lambda: [0, Decimal(0)]))
    by_item: dict[tuple[date, str, str], list] = field(default_factory=lambda: defaultdict(lambda: [0, Decimal(0)]))
    #: [rows, amount] per key group (finops.analytics.rollups.key_group): spend_key_daily's change, with the
    #: parser's kinds of cost of the line items of spend with no key (``kinds``: those it was asked for).
    by_key: dict[tuple, list] = field(default_factory=lambda: defaultdict(lambda: [0, Decimal(0)]))
    kinds: dict = field(default_factory=dict)


def replace_window(
    team_id: str,
    window: Window,
    rows: Iterable[CostRow],
    *,
    dag_run_id: str | None,
    started_at: datetime,
    stats=None,
    conn_id: str = FINOPS_DB_CONN_ID,
    provider: str = "openai",
    guard: DropGuard | None = None,
    connections: KeptConnections | None = None,
    rollups: RollupBatch | None = None,
    usage=None,
    keys=None,
) -> LoadResult:
    """Replace the team's rows in ``window`` with ``rows``, recording the collection run.

    ``rows`` (the API stream, with its retries and waits) is consumed first, into a temporary file,
    so memory stays bounded by a chunk of rows and no connection, transaction or lock is held while
    waiting on the network. Then one short transaction takes the team's advisory lock, checks the
    ``guard``, deletes the window and COPYs the spooled rows in. Any error (API, parsing, database,
    a dropped settled day, a killed process) leaves the previous rows as they were. With ``connections``
    the transaction runs on the thread's kept connection instead of a new one. The rollups get the window's
    change in the same transaction, or with ``rollups`` (a collect_team task's batch) right after it commits.
    ``usage`` (finops.usage.load.UsageLoad) replaces the window's usage rows in the same transaction, and
    ``keys`` (finops.attribution.store.KeysLoad) brings the team's key list up to date in it.
    """
    import psycopg

    from finops.analytics.restatements import record_found
    from finops.analytics.rollups import CostKinds, WindowSums, apply_changes, deleted_sums, window_change

    collected_at = datetime.now(UTC)
    params = {"team_id": team_id, "window_start": window.start, "window_end": window.end,
              "dag_run_id": dag_run_id, "started_at": started_at, "provider": provider}
    with tempfile.TemporaryFile(prefix="finops-spool-") as spool:
        spooled = _spool_rows(spool, rows, window, CostKinds(provider))
        # Complete once the stream is exhausted: what unregistered scopes cost (Anthropic workspaces).
        skipped = stats.skipped_costs() if hasattr(stats, "skipped_costs") else []
        with connections.transaction() if connections else connect(conn_id) as conn:
            began = time.perf_counter()
            with conn.pipeline():  # one round trip: the team's lock, then the rollups' (before the delete)
                conn.execute(paths.sql("collection/lock_team"), params)
                conn.execute(paths.sql("analytics/lock_rollups_for_load"))
            if guard is not None:
                _check_drops(conn, params, window, guard, spooled)
            run_id = conn.execute(paths.sql("collection/run_insert"), params).fetchone()[0]
            # A short window of an ordinary team: its old rows come back as rows (memory stays a chunk's).
            summed = window.days > DELETED_ROWS_MAX_DAYS or spooled.rows > SPOOL_CHUNK_ROWS
            deleted = conn.execute(paths.sql(DELETE_WINDOW_SUMMED if summed else DELETE_WINDOW), params).fetchall()
            try:
                with conn.cursor().copy(paths.sql("collection/copy_cost_rows")) as copy:
                    copy.set_types(COPY_TYPES)
                    for d, project, item, currency, amount, quantity, unit, org, *details in _read_spool(spool):
                        copy.write_row((
                            team_id, date.fromordinal(d), project, item, currency, Decimal(amount),
                            None if quantity is None else Decimal(quantity), unit, org, collected_at, dag_run_id,
                            run_id, provider, *details,
                        ))
            except psycopg.errors.UniqueViolation:
                raise DuplicateCostRow(
                    f"The Costs API returned the same day, project, line item, currency and API key twice for team "
                    f"{team_id} in {window}; nothing was replaced; retry the run, and report it if it persists."
                ) from None
            if usage is not None:
                usage.load(conn, params, run_id)
            if keys is not None:
                keys.load(conn, params)
            with conn.cursor() as cur:
                cur.executemany(paths.sql("collection/run_day_insert"), [
                    {"run_id": run_id, "usage_date": d, "currency": c, "rows": v[0], "amount_total": v[1]}
                    for (d, c), v in sorted(spooled.per_day.items())
                ])
                if skipped:
                    cur.executemany(paths.sql("collection/run_skipped_insert"), [
                        {"run_id": run_id, "scope_id": s.scope_id, "currency": s.currency, "rows": s.rows,
                         "amount_total": s.amount} for s in skipped
                    ])
            # The window's change to the rollups (what the old rows held out, the new rows' sums in), applied here
            # or, with ``rollups``, by the task's batch right after the commit; and restatements (docs/analytics.md).
            kinds = _key_kinds(conn, spool, spooled, provider, deleted, summed)
            change = window_change(provider, team_id, run_id, deleted_sums(deleted, summed=summed, kinds=kinds),
                                   WindowSums(spooled.by_project, spooled.by_item, spooled.by_key))
            with conn.pipeline():
                restated_cur = conn.execute(paths.sql(RESTATEMENTS), {"run_id": run_id})
                conn.execute(paths.sql("collection/run_finish"), {
                    "run_id": run_id, "rows": spooled.rows, "amount_total": spooled.amount_total,
                    "pages": getattr(stats, "pages", 0), "requests": getattr(stats, "requests", 0),
                    "retries": getattr(stats, "retries", 0),
                })
            restated = record_found(provider, team_id, run_id, restated_cur.fetchall())
            if rollups is None:
                apply_changes(conn, [change])
            conn.commit()
            transaction_seconds = time.perf_counter() - began
    if rollups is not None:
        rollups.add(change)  # committed: the batch may apply it now, or with the task's next loads
    if spooled.rows >= ANALYZE_AFTER_ROWS:
        # Fresh statistics after a big load keep the validation's plans linear (see docs/performance.md).
        with connect(conn_id, autocommit=True) as conn:
            conn.execute("ANALYZE finops.cost_data")
    return LoadResult(run_id=run_id, rows=spooled.rows, amount_total=spooled.amount_total,
                      per_day=dict(spooled.per_day), transaction_seconds=transaction_seconds, restated=restated,
                      skipped=skipped)


def _key_kinds(conn: psycopg.Connection, spool: IO[bytes], spooled: _Spool, provider: str, deleted: list[tuple],
               summed: bool):
    """The kinds of cost of the window's line items as ``line_items`` stores them, read under the rollups' lock
    (finops.analytics.rollups.CostKinds): the key rollups' groups of spend with no key. The spool grouped its rows
    by the parser's kinds; where a stored one differs (dimensions a re-parse has not updated yet), its key groups
    are summed again from the spool with the stored kinds."""
    from finops.analytics.rollups import stored_cost_kinds

    items = set(spooled.kinds)
    if not summed:
        items.update(row[2] for row in deleted if row[5] is None and row[1] != "unassigned")
    kinds = stored_cost_kinds(conn, provider, items)
    if any(kinds[item] != kind for item, kind in spooled.kinds.items()):
        by_key = spooled.by_key
        by_key.clear()
        add = EXACT.add
        for d, project, item, currency, amount, *rest in _read_spool(spool):
            key, allocated = rest[-2], rest[-1]
            group = by_key[(date.fromordinal(d), project, key, bool(allocated),
                            kinds[item] if key is None and project != "unassigned" else "", currency)]
            group[0] += 1
            group[1] = add(group[1], Decimal(amount))
    return kinds


def _spool_rows(spool: IO[bytes], rows: Iterable[CostRow], window: Window, kinds=None) -> _Spool:
    """Write the window's rows to ``spool`` in chunks of plain values, totalled per day and currency (and per
    the rollups' groups).

    Plain values (ordinal days, amounts as exact decimal text) in ``marshal`` chunks cost a fraction
    of binary COPY formatting, which then runs inside the transaction, overlapped with the server's
    own work (docs/performance.md, section 1).
    """
    out = _Spool()
    if kinds is None:
        from finops.analytics.rollups import CostKinds

        kinds = CostKinds("openai")
    out.kinds = kinds
    per_day, by_project, by_item, by_key, kinds = out.per_day, out.by_project, out.by_item, out.by_key, out.kinds
    add = EXACT.add  # every total exact whatever its digits (equal to sum(amount) in SQL); not the caller's context
    count, total = 0, Decimal(0)
    chunk: list[tuple] = []
    for row in rows:
        if not (window.start <= row.usage_date < window.end):
            continue  # a bucket outside the asked window is not ours to replace
        chunk.append((row.usage_date.toordinal(), row.project_id, row.line_item, row.currency, str(row.amount),
                      None if row.quantity is None else str(row.quantity), row.quantity_unit, row.organization_id,
                      row.model, row.token_type, row.cost_type, row.service_tier, row.context_window,
                      row.inference_geo, row.api_key_id, row.allocated))
        day = per_day[(row.usage_date, row.currency)]
        day[0] += 1
        day[1] = add(day[1], row.amount)
        key = row.api_key_id  # the key group: finops.analytics.rollups.key_group, inlined (per row)
        for group in (by_project[(row.usage_date, row.project_id, row.currency)],
                      by_item[(row.usage_date, row.line_item, row.currency)],
                      by_key[(row.usage_date, row.project_id, key, bool(row.allocated),
                              kinds[row.line_item] if key is None and row.project_id != "unassigned" else "",
                              row.currency)]):
            group[0] += 1
            group[1] = add(group[1], row.amount)
        count += 1
        total = add(total, row.amount)
        if len(chunk) >= SPOOL_CHUNK_ROWS:
            _write_chunk(spool, chunk)
            chunk = []
    if chunk:
        _write_chunk(spool, chunk)
    out.rows, out.amount_total = count, total
    return out


def _write_chunk(spool: IO[bytes], chunk: list[tuple]) -> None:
    data = marshal.dumps(chunk)
    spool.write(len(data).to_bytes(8, "little"))
    spool.write(data)


def _read_spool(spool: IO[bytes]) -> Iterator[tuple]:
    """The spooled rows, one chunk in memory at a time (only this process wrote the file)."""
    spool.seek(0)
    while header := spool.read(8):
        yield from marshal.loads(spool.read(int.from_bytes(header, "little")))  # noqa: S302 - our own file


def _check_drops(conn: psycopg.Connection, params: dict, window: Window, guard: DropGuard, spooled: _Spool) -> None:
    """Raise SettledCostsDropped when a settled day's new total fell by more than the guard allows."""
    settled_end = min(window.end, guard.settled_before)
    if settled_end <= window.start:
        return
    before = conn.execute(paths.sql("collection/settled_day_totals"),
                          {**params, "settled_end": settled_end}).fetchall()
    dropped = []
    for usage_date, currency, amount in before:
        now = spooled.per_day[(usage_date, currency)][1] if (usage_date, currency) in spooled.per_day else Decimal(0)
        if amount > 0 and now < amount * (1 - guard.max_drop):
            dropped.append(f"{usage_date} {currency} {amount} -> {now}")
    if dropped:
        raise SettledCostsDropped(
            f"The Costs API now reports more than {guard.max_drop:.0%} less for settled days than was loaded "
            f"before ({', '.join(dropped)}), so the loaded rows were kept; check the API's answer, and if the drop "
            "is real, trigger a manual run with the param allow_drops set to true (or raise the variable "
            "finops_max_settled_drop)."
        )


def record_failure(team_id: str, window: Window, error: str, *, dag_run_id: str | None, started_at: datetime,
                   stats=None, conn_id: str = FINOPS_DB_CONN_ID, provider: str = "openai") -> None:
    """Record a failed attempt (the message must hold no secret); cost rows are untouched."""
    with connect(conn_id) as conn:
        conn.execute(paths.sql("collection/run_failed_insert"), {
            "team_id": team_id, "window_start": window.start, "window_end": window.end, "error": error[:2000],
            "dag_run_id": dag_run_id, "started_at": started_at, "pages": getattr(stats, "pages", 0),
            "requests": getattr(stats, "requests", 0), "retries": getattr(stats, "retries", 0),
            "provider": provider,
        })

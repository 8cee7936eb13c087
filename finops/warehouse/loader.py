"""Window replace: a team's cost rows are fetched into a local spool first, then replaced in one short transaction."""

from __future__ import annotations

import dataclasses
import marshal
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from operator import itemgetter
from typing import IO, TYPE_CHECKING

from finops import paths
from finops.errors import FinopsError
from finops.money import EXACT, ZERO
from finops.warehouse.db import FINOPS_DB_CONN_ID, KeptConnections, connect

if TYPE_CHECKING:
    import psycopg

    from finops.analytics.rollups import RollupBatch, WindowSums
    from finops.costs.models import CostRow


#: Column types of ``copy_cost_rows.sql``, for binary COPY (about 1.35x text COPY, measured in docs/performance.md).
COPY_TYPES = ("text", "date", "text", "text", "text", "numeric", "numeric", "text", "text", "timestamptz", "text",
              "int8", "text", "text", "text", "text", "text", "text", "text", "text", "bool")

#: The rollup groups whose ``[rows, amount]`` the spool sums (``finops.analytics.rollups.WindowSums``' fields): the
#: CostRow fields of each group's key, in order. Adding a rollup group is one entry here and a field of WindowSums.
SPOOL_GROUPS: dict[str, tuple[int, ...]] = {
    "by_project": (0, 1, 3),  # usage_date, project_id, currency
    "by_item": (0, 2, 3),  # usage_date, line_item, currency
}
#: The group whose keys begin with (day, ...) and end with currency: the per-day totals are summed from its sums.
DAY_GROUP = "by_project"

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
    #: Seconds per step: spool (fetch, parse, format and sum, outside the transaction), then in the transaction
    #: lock, delete, copy, record (run days, restatements, run), rollups (the change, and applying it), commit.
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class _Spool:
    rows: int = 0
    amount_total: Decimal = Decimal(0)
    per_day: dict[tuple[date, str], list] = field(default_factory=lambda: defaultdict(lambda: [0, Decimal(0)]))
    #: [rows, amount] per key of each of SPOOL_GROUPS (per (day, project, currency), per (day, line item, currency)):
    #: the window's new contribution to the rollups (finops.analytics.rollups), bounded by days, not rows.
    #: And per key group (finops.analytics.rollups.key_group, ``by_key``): spend_key_daily's change, with the
    #: parser's kinds of cost of the line items of spend with no key (``kinds``: those it was asked for).
    groups: dict[str, dict[tuple, list]] = field(
        default_factory=lambda: {name: {} for name in (*SPOOL_GROUPS, "by_key")})
    kinds: dict = field(default_factory=dict)

    def sums(self) -> WindowSums:
        from finops.analytics.rollups import WindowSums

        return WindowSums(**self.groups)


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
    from finops.analytics.rollups import (
        CostKinds,
        apply_changes,
        deleted_sums,
        stored_cost_kinds,
        window_change,
    )

    collected_at = datetime.now(UTC)
    params = {"team_id": team_id, "window_start": window.start, "window_end": window.end,
              "dag_run_id": dag_run_id, "started_at": started_at, "provider": provider}
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = phases.get(name, 0.0) + now - mark
        mark = now

    with tempfile.TemporaryFile(prefix="finops-spool-") as spool:
        spooled = _spool_rows(spool, rows, window, CostKinds(provider))
        # Complete once the stream is exhausted: what unregistered scopes cost (Anthropic workspaces).
        skipped = stats.skipped_costs() if hasattr(stats, "skipped_costs") else []
        if usage is not None:
            usage.spool(params)  # checked and formatted before the transaction, like the costs
        with connections.transaction() if connections else connect(conn_id) as conn:
            phase("spool")
            began = time.perf_counter()
            with conn.pipeline():  # one round trip: the team's lock, then the rollups' (before the delete)
                conn.execute(paths.sql("collection/lock_team"), params)
                conn.execute(paths.sql("analytics/lock_rollups_for_load"))
            if guard is not None:
                _check_drops(conn, params, window, guard, spooled)
            run_id = conn.execute(paths.sql("collection/run_insert"), params).fetchone()[0]
            phase("lock")
            # A short window of an ordinary team: its old rows come back as rows (memory stays a chunk's).
            summed = window.days > DELETED_ROWS_MAX_DAYS or spooled.rows > SPOOL_CHUNK_ROWS
            deleted = conn.execute(paths.sql(DELETE_WINDOW_SUMMED if summed else DELETE_WINDOW), params).fetchall()
            phase("delete")
            try:
                with conn.cursor().copy(paths.sql("collection/copy_spooled_rows")) as copy:
                    recode = conn.info.encoding not in ("utf-8", "ascii")  # the spool is UTF-8
                    for data in _read_spool(spool, _row_prefix(run_id, team_id, collected_at, dag_run_id, provider)):
                        copy.write(data.decode().encode(conn.info.encoding) if recode else data)
            except psycopg.errors.UniqueViolation:
                raise DuplicateCostRow(
                    f"The Costs API returned the same day, project, line item, currency and API key twice for team "
                    f"{team_id} in {window}; nothing was replaced; retry the run, and report it if it persists."
                ) from None
            phase("copy")
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
            phase("record")
            kinds = stored_cost_kinds(conn, provider, _key_items(spooled, deleted, summed))
            change = window_change(provider, team_id, run_id, deleted_sums(deleted, summed=summed, kinds=kinds),
                                   spooled.sums())
            if any(kinds[item] != kind for item, kind in spooled.kinds.items()):
                change = dataclasses.replace(change, stale=True)  # recomputed instead (rollups._recompute_stale)
            phase("rollups")
            with conn.pipeline():
                restated_cur = conn.execute(paths.sql(RESTATEMENTS), {"run_id": run_id})
                conn.execute(paths.sql("collection/run_finish"), {
                    "run_id": run_id, "rows": spooled.rows, "amount_total": spooled.amount_total,
                    "pages": getattr(stats, "pages", 0), "requests": getattr(stats, "requests", 0),
                    "retries": getattr(stats, "retries", 0),
                })
            restated = record_found(provider, team_id, run_id, restated_cur.fetchall())
            phase("record")
            if rollups is None:
                apply_changes(conn, [change])
            phase("rollups")
            conn.commit()
            phase("commit")
            transaction_seconds = time.perf_counter() - began
    if rollups is not None:
        rollups.add(change)  # committed: the batch may apply it now, or with the task's next loads
    if spooled.rows >= ANALYZE_AFTER_ROWS:
        # Fresh statistics after a big load keep the validation's plans linear (see docs/performance.md).
        with connect(conn_id, autocommit=True) as conn:
            conn.execute("ANALYZE finops.cost_data")
    return LoadResult(run_id=run_id, rows=spooled.rows, amount_total=spooled.amount_total,
                      per_day=dict(spooled.per_day), transaction_seconds=transaction_seconds, restated=restated,
                      skipped=skipped, phases=phases)


def _key_items(spooled: _Spool, deleted: list[tuple], summed: bool) -> set[str]:
    """The line items whose kind of cost the key rollups' groups of spend with no key need: the spool's, and a
    short window's deleted rows' (a long window's delete reads them from line_items itself)."""
    items = set(spooled.kinds)
    if not summed:
        items.update(row[2] for row in deleted if row[5] is None and row[1] != "unassigned")
    return items


def _spool_rows(spool: IO[bytes], rows: Iterable[CostRow], window: Window, kinds=None) -> _Spool:
    """Write the window's rows to ``spool`` as CSV COPY data, in chunks, summed per rollup group (and so per day
    and currency).

    A chunk's rows are formatted at once, each ``CostRow`` tuple with one ``%`` (:func:`_write_chunk`: CSV, the
    fields in the tuple's order, exact decimal text, ISO days). The transaction then only streams bytes with
    ``copy.write`` (no per-row work in it);
    the columns every row of a load shares, the run's id among them, known only in the transaction, are one prefix
    put in front of each row there (:func:`_read_spool`). Amounts are summed per group and chunk with ``sum`` in
    the exact context, once per group rather than once per row and group (docs/performance.md, section 1).
    """
    out = _Spool()
    keys = [(name, itemgetter(*fields)) for name, fields in SPOOL_GROUPS.items()]
    if kinds is None:
        from finops.analytics.rollups import CostKinds

        kinds = CostKinds("openai")
    out.kinds = kinds

    def key_group(row: CostRow) -> tuple:  # finops.analytics.rollups.key_group, with the parser's kinds
        key = row.api_key_id
        return (row.usage_date, row.project_id, key, bool(row.allocated),
                kinds[row.line_item] if key is None and row.project_id != "unassigned" else "", row.currency)

    keys.append(("by_key", key_group))
    start, end = window.start, window.end
    count = 0
    chunk: list[tuple] = []
    keep = chunk.append
    for row in rows:
        if start <= row[0] < end:  # a bucket outside the asked window is not ours to replace
            keep(row)
            if len(chunk) >= SPOOL_CHUNK_ROWS:
                count += _write_chunk(spool, chunk)
                _add_sums(out, keys, chunk)
                chunk = []
                keep = chunk.append
    if chunk:
        count += _write_chunk(spool, chunk)
        _add_sums(out, keys, chunk)
    with localcontext(EXACT):  # every total exact whatever its digits (equal to sum(amount) in SQL)
        per_day = out.per_day
        for (day, *_, currency), (n, amount) in out.groups[DAY_GROUP].items():
            found = per_day[(day, currency)]
            found[0] += n
            found[1] += amount
        out.amount_total = sum((v[1] for v in per_day.values()), ZERO)
    out.rows = count
    return out


_AMOUNT = itemgetter(4)


def _add_sums(out: _Spool, keys: list, chunk: list[tuple]) -> None:
    """Add a chunk's rows to the spool's ``[rows, amount]`` per group: the amounts of each group listed, then summed
    at once, in the exact context (not the caller's)."""
    with localcontext(EXACT):
        for name, key_of in keys:
            amounts: defaultdict = defaultdict(list)
            for key, amount in zip(map(key_of, chunk), map(_AMOUNT, chunk), strict=True):
                amounts[key].append(amount)
            sums = out.groups[name]
            for key, values in amounts.items():
                if (found := sums.get(key)) is None:
                    sums[key] = [len(values), sum(values, ZERO)]
                else:
                    found[0] += len(values)
                    found[1] += sum(values, ZERO)


def csv_line(text_fields: Iterable[bool]) -> str:
    """The ``%`` format of a row as one CSV line of the loaders' COPYs (tab-separated, ' quotes, NULL None): days,
    numbers, decimals and booleans as ``str`` gives them, text fields (True) as ``repr`` does ('text' quoted, None
    unquoted: the NULL)."""
    return "\t".join(("%r" if text else "%s") for text in text_fields)


#: A CostRow as one CSV line of ``copy_spooled_rows.sql``.
_LINE = csv_line((False, True, True, True, False, False, True, True, True, True, True, True, True, True, True, False))
FAST_KIND, ROWS_KIND = b"F", b"R"  # format_csv_rows' kinds of data


def format_csv_rows(line: str, rows: list[tuple]) -> tuple[bytes, bytes]:
    """``rows`` as CSV COPY data (UTF-8) in the ``line`` format of :func:`csv_line`: (kind, data).

    One ``%`` per row: ``repr`` quotes a text with ' and escapes only what CSV would read otherwise with a
    backslash (a quote, a tab, a newline, a control character), or switches to " quotes; rows with either are
    quoted field by field instead (:func:`_csv_field`), kept apart (a quoted field may hold a newline).
    """
    text = "\n".join(map(line.__mod__, rows)) + "\n"
    if "\\" in text or '"' in text:
        return ROWS_KIND, marshal.dumps(["\t".join(map(_csv_field, row)) + "\n" for row in rows])
    return FAST_KIND, text.encode()


def prefixed_csv_rows(kind: bytes, data: bytes, prefix: bytes) -> bytes:
    """:func:`format_csv_rows`' data with ``prefix`` (the columns every row of a load shares) in front of each row."""
    if kind == FAST_KIND:  # no field holds a newline (repr escapes it): each one ends a row
        return prefix + data[:-1].replace(b"\n", b"\n" + prefix) + b"\n"
    return prefix + prefix.join(row.encode() for row in marshal.loads(data))  # noqa: S302 - our own data


def _write_chunk(spool: IO[bytes], chunk: list[tuple]) -> int:
    """Write a chunk of rows as CSV COPY data (:func:`format_csv_rows`), preceded by its size and kind; returns its
    rows."""
    kind, data = format_csv_rows(_LINE, chunk)
    spool.write(len(data).to_bytes(8, "little") + kind)
    spool.write(data)
    return len(chunk)


def _csv_field(value) -> str:
    """A field of ``copy_spooled_rows.sql``: None unquoted (the NULL), text in ' quotes (' doubled), the rest as
    ``str`` gives it."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def _read_spool(spool: IO[bytes], prefix: bytes) -> Iterator[bytes]:
    """The spooled rows as CSV COPY data, a chunk at a time, ``prefix`` (the load's common columns) put in front of
    each row; only this process wrote the file."""
    spool.seek(0)
    while header := spool.read(9):
        yield prefixed_csv_rows(header[8:], spool.read(int.from_bytes(header[:8], "little")), prefix)


def csv_prefix(*values) -> bytes:
    """The columns every row of a load begins with, as CSV fields of :func:`csv_line`'s format."""
    return "".join(_csv_field(v) + "\t" for v in values).encode()


def _row_prefix(run_id: int, team_id: str, collected_at: datetime, dag_run_id: str | None, provider: str) -> bytes:
    """The columns every row of a load begins with in ``copy_spooled_rows.sql``, as CSV fields."""
    return csv_prefix(run_id, team_id, collected_at.isoformat(), dag_run_id, provider)


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

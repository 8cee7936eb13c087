"""A team's usage rows for a window, replaced inside the costs' transaction (one lock, one commit, one outcome)."""

from __future__ import annotations

import hashlib
import marshal
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from finops import paths, timings
from finops.errors import FinopsError
from finops.usage.models import UsageRow
from finops.warehouse.loader import (
    FAST_KIND,
    ROWS_KIND,
    csv_line,
    csv_prefix,
    format_csv_rows,
    prefixed_csv_rows,
)

if TYPE_CHECKING:
    import psycopg


class DuplicateUsageRow(FinopsError):
    """The usage API returned the same day, scope, endpoint, key, model, tier, batch flag and context twice."""


#: UsageRow's text fields: quoted in ``copy_usage_rows.sql``'s CSV, the rest (days, counts, flags, quantities) as
#: ``str`` gives them.
TEXT_FIELDS = frozenset({"project_id", "endpoint", "api_key_id", "model", "service_tier", "context_window",
                         "quantity_unit"})
_LINE = csv_line(name in TEXT_FIELDS for name in UsageRow._fields)


@dataclass(frozen=True, slots=True)
class SpooledDay:
    """One day of the window as COPY data (:func:`finops.warehouse.loader.format_csv_rows`) and its digest."""

    usage_date: date
    rows: int
    kind: bytes
    data: bytes
    digest: bytes


def day_digest(kind: bytes, data: bytes) -> bytes:
    """A day's rows as the loader writes them (without the columns every row of a load shares), hashed: equal
    digests, equal rows in the same order."""
    text = "".join(marshal.loads(data)).encode() if kind == ROWS_KIND else data  # noqa: S302 - our own data
    return hashlib.blake2b(kind + text, digest_size=16).digest()


@dataclass(slots=True)
class UsageLoad:
    """The usage of one team's window; :meth:`load` is called by the warehouse loader in its transaction.

    :meth:`spool` formats the window's rows day by day before the transaction (the loader calls it first), so the
    transaction only compares digests, deletes the changed days and streams their bytes. A day whose rows come back
    as ``finops.usage_days`` says they were loaded is left alone (migration 0025).
    """

    rows: list[UsageRow]
    requests: int = 0
    pages: int = 0
    loaded: int = field(default=0, init=False)
    written: int = field(default=0, init=False)
    _spooled: tuple[date, date, list[SpooledDay]] | None = field(default=None, init=False, repr=False)

    def spool(self, params: dict) -> None:
        """Keep the rows of the load's window (``params``: the loader's) as COPY data, one part a day of the window
        (a day without rows too: its old rows go). A row that comes twice is refused by the natural key's unique
        index when it is copied (:meth:`load`), as a cost row is: checking 9,600 keys a team here cost more CPU than
        the whole COPY (docs/performance.md, section 2). Done once a window: the task spools in a helper thread
        (finops.side_requests), and the loader's call then finds it done."""
        start, end = params["window_start"], params["window_end"]
        if self._spooled is not None and self._spooled[:2] == (start, end):
            return
        by_day: dict[date, list[UsageRow]] = {start + timedelta(days=n): [] for n in range((end - start).days)}
        for row in self.rows:
            day_rows = by_day.get(row.usage_date)
            if day_rows is not None:  # outside the window: not this load's
                day_rows.append(row)
        days = []
        for day, day_rows in by_day.items():
            kind, data = format_csv_rows(_LINE, day_rows) if day_rows else (FAST_KIND, b"")
            days.append(SpooledDay(day, len(day_rows), kind, data, day_digest(kind, data)))
        self._spooled = (start, end, days)

    def load(self, conn: psycopg.Connection, params: dict, run_id: int) -> int:
        """Replace the window's changed days of the team's usage: delete their rows, copy the new ones in, record
        their digests. Returns the window's rows; :attr:`written` counts those copied."""
        import psycopg

        if self._spooled is None or self._spooled[:2] != (params["window_start"], params["window_end"]):
            self.spool(params)
        days = self._spooled[2]
        stored = dict(conn.execute(paths.sql("usage/stored_days"), params).fetchall())
        changed = [day for day in days if stored.get(day.usage_date) != day.digest]
        self.loaded = sum(day.rows for day in days)
        self.written = sum(day.rows for day in changed)
        timings.count("usage_rows:written", self.written)
        timings.count("usage_rows:unchanged", self.loaded - self.written)
        if not changed:
            return self.loaded
        dates = [day.usage_date for day in changed]
        conn.execute(paths.sql("usage/delete_days"), {**params, "days": dates})
        if self.written:
            prefix = csv_prefix(run_id, params["provider"], params["team_id"], datetime.now(UTC).isoformat(),
                                params["dag_run_id"])
            data = b"".join(prefixed_csv_rows(day.kind, day.data, prefix) for day in changed if day.rows)
            if conn.info.encoding not in ("utf-8", "ascii"):  # formatted as UTF-8, like the costs' spool
                data = data.decode().encode(conn.info.encoding)
            try:
                with conn.cursor().copy(paths.sql("usage/copy_usage_rows")) as copy:
                    copy.write(data)
            except psycopg.errors.UniqueViolation as exc:  # the transaction is rolled back: nothing is replaced
                raise DuplicateUsageRow(
                    f"The {params['provider']} usage API returned the same day, scope, endpoint, key, model and tier "
                    f"twice for team {params['team_id']} in {params['window_start']}..{params['window_end']} "
                    f"({exc.diag.message_detail or 'a row of the window'}); nothing was replaced; retry the run, and "
                    "report it if it persists."
                ) from None
        conn.execute(paths.sql("usage/days_upsert"), {
            **params, "run_id": run_id, "days": dates, "rows": [day.rows for day in changed],
            "digests": [day.digest for day in changed]})
        return self.loaded

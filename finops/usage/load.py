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
from finops.usage.page_schema import RawBucket, bucket_rows
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


#: Part of the digest of a day kept as the API sent it (:class:`~finops.usage.page_schema.RawBucket`). Change it
#: whenever the rows built from the same results change (the mapping in finops.usage.page_schema or normalize): every
#: such day is then decoded and written again by the next run, as a change of the rows' format does for the rest.
RAW_DIGEST = b"openai-usage-buckets-1"


@dataclass(slots=True)
class SpooledDay:
    """One day of the window: its digest, and once formatted (:meth:`format`) its rows as COPY data
    (:func:`finops.warehouse.loader.format_csv_rows`). A day of OpenAI buckets kept as sent is digested over their
    bytes and decoded only when its digest is not the stored one."""

    usage_date: date
    digest: bytes
    rows: int | None = None
    kind: bytes | None = None
    data: bytes | None = None
    buckets: tuple[RawBucket, ...] = ()

    @classmethod
    def of_rows(cls, day: date, rows: list[UsageRow]) -> SpooledDay:
        kind, data = _formatted(rows)
        return cls(day, day_digest(kind, data), len(rows), kind, data)

    @classmethod
    def of_buckets(cls, day: date, buckets: list[RawBucket]) -> SpooledDay:
        digest = hashlib.blake2b(RAW_DIGEST, digest_size=16)
        for bucket in buckets:
            digest.update(b"\0%s\0%d\0" % (bucket.endpoint.encode(), len(bucket.results)))
            digest.update(bucket.results)
        return cls(day, digest.digest(), buckets=tuple(buckets))

    def format(self) -> None:
        """Decode the day's buckets (the contract checked: finops.usage.page_schema.bucket_rows) and format them."""
        if self.data is None:
            rows = [row for bucket in self.buckets for row in bucket_rows(bucket)]
            self.kind, self.data = _formatted(rows)
            self.rows = len(rows)


def _formatted(rows: list[UsageRow]) -> tuple[bytes, bytes]:
    """A day's rows as COPY data (kind, data); a day without rows as none."""
    return format_csv_rows(_LINE, rows) if rows else (FAST_KIND, b"")


def day_digest(kind: bytes, data: bytes) -> bytes:
    """A day's rows as the loader writes them (without the columns every row of a load shares), hashed: equal
    digests, equal rows in the same order."""
    text = "".join(marshal.loads(data)).encode() if kind == ROWS_KIND else data  # noqa: S302 - our own data
    return hashlib.blake2b(kind + text, digest_size=16).digest()


def stored_days(conn: psycopg.Connection | None, params: dict) -> dict[date, tuple[bytes, int]]:
    """The window's days of a team's usage as last loaded (``finops.usage_days``): digest and rows per day. ``conn``
    None: on a connection of its own (a read ahead of the load; the load reads them again in its transaction)."""
    if conn is None:
        from finops.warehouse.db import connect

        with connect() as own:
            return stored_days(own, params)
    return {day: (digest, rows) for day, digest, rows in conn.execute(paths.sql("usage/stored_days"), params)}


@dataclass(slots=True)
class UsageLoad:
    """The usage of one team's window; :meth:`load` is called by the warehouse loader in its transaction.

    :meth:`spool` digests the window's days before the transaction, and formats the rows of those not loaded as
    they are (as far as it was told: ``known``), so the transaction only compares digests, deletes the changed days
    and streams their bytes. A day whose digest ``finops.usage_days`` holds is left alone (migration 0025); a day of
    OpenAI buckets kept as sent (``buckets``) is not even decoded then.
    """

    rows: list[UsageRow]
    buckets: list[RawBucket] = field(default_factory=list)
    requests: int = 0
    pages: int = 0
    loaded: int = field(default=0, init=False)
    written: int = field(default=0, init=False)
    _spooled: tuple[date, date, list[SpooledDay]] | None = field(default=None, init=False, repr=False)

    def spool(self, params: dict, known: dict[date, tuple[bytes, int]] | None = None) -> None:
        """Keep the days of the load's window (``params``: the loader's), one part a day (a day without rows too:
        its old rows go), each with its digest. Rows decoded already are formatted as COPY data; a day of buckets
        is formatted only when ``known`` (:func:`stored_days`, read ahead) does not hold its digest, and else left
        to :meth:`load`, which formats what its transaction finds changed. A row that comes twice is refused by the
        natural key's unique index when it is copied (:meth:`load`), as a cost row is: checking 9,600 keys a team
        here cost more CPU than the whole COPY (docs/performance.md, section 2). Done once a window: the task spools
        in a helper thread (finops.side_requests), and the loader's call then finds it done."""
        start, end = params["window_start"], params["window_end"]
        if self._spooled is not None and self._spooled[:2] == (start, end):
            return
        window = [start + timedelta(days=n) for n in range((end - start).days)]
        by_day: dict[date, list[UsageRow]] = {day: [] for day in window}
        for row in self.rows:
            day_rows = by_day.get(row.usage_date)
            if day_rows is not None:  # outside the window: not this load's
                day_rows.append(row)
        buckets: dict[date, list[RawBucket]] = {day: [] for day in window}
        for bucket in self.buckets:
            if bucket.usage_date in buckets:
                buckets[bucket.usage_date].append(bucket)
        days = []
        for day in window:
            if buckets[day] and not by_day[day]:
                spooled = SpooledDay.of_buckets(day, buckets[day])
                if known is not None and known.get(day, (None,))[0] != spooled.digest:
                    spooled.format()
            else:  # decoded rows (a page off the common form) or none: the day's rows, all decoded, are digested
                rows = by_day[day] + [row for bucket in buckets[day] for row in bucket_rows(bucket)]
                spooled = SpooledDay.of_rows(day, rows)
            days.append(spooled)
        self._spooled = (start, end, days)

    def load(self, conn: psycopg.Connection, params: dict, run_id: int) -> int:
        """Replace the window's changed days of the team's usage: delete their rows, copy the new ones in, record
        their digests. Returns the window's rows; :attr:`written` counts those copied."""
        import psycopg

        if self._spooled is None or self._spooled[:2] != (params["window_start"], params["window_end"]):
            self.spool(params)
        days = self._spooled[2]
        stored = stored_days(conn, params)
        changed = [day for day in days if stored.get(day.usage_date, (None,))[0] != day.digest]
        for day in changed:  # a day read ahead as unchanged that changed since, or no read ahead at all
            day.format()
        self.written = sum(day.rows for day in changed)
        dates = [day.usage_date for day in changed]
        self.loaded = self.written + sum(rows for day, (_, rows) in stored.items() if day not in dates)
        timings.count("usage_rows:written", self.written)
        timings.count("usage_rows:unchanged", self.loaded - self.written)
        if not changed:
            return self.loaded
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

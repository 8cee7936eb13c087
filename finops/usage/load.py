"""A team's usage rows for a window, replaced inside the costs' transaction (one lock, one commit, one outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import TYPE_CHECKING

from finops import paths
from finops.errors import FinopsError
from finops.usage.models import UsageRow
from finops.warehouse.loader import csv_line, csv_prefix, format_csv_rows, prefixed_csv_rows

if TYPE_CHECKING:
    import psycopg


class DuplicateUsageRow(FinopsError):
    """The usage API returned the same day, scope, endpoint, key, model, tier, batch flag and context twice."""


#: UsageRow's text fields: quoted in ``copy_usage_rows.sql``'s CSV, the rest (days, counts, flags, quantities) as
#: ``str`` gives them.
TEXT_FIELDS = frozenset({"project_id", "endpoint", "api_key_id", "model", "service_tier", "context_window",
                         "quantity_unit"})
_LINE = csv_line(name in TEXT_FIELDS for name in UsageRow._fields)
_DAY = itemgetter(0)


@dataclass(slots=True)
class UsageLoad:
    """The usage of one team's window; :meth:`load` is called by the warehouse loader in its transaction.

    :meth:`spool` formats the window's rows before the transaction (the loader calls it first), so the transaction
    only deletes the window and streams bytes, as it does for the costs.
    """

    rows: list[UsageRow]
    requests: int = 0
    pages: int = 0
    loaded: int = field(default=0, init=False)
    _spooled: tuple[date, date, int, bytes, bytes] | None = field(default=None, init=False, repr=False)

    def spool(self, params: dict) -> None:
        """Keep the rows of the load's window (``params``: the loader's) as COPY data. A row that comes twice is
        refused by the natural key's unique index when it is copied (:meth:`load`), as a cost row is: checking
        9,600 keys a team here cost more CPU than the whole COPY (docs/performance.md, section 2)."""
        start, end = params["window_start"], params["window_end"]
        rows = self.rows
        if not all(start <= day < end for day in set(map(_DAY, rows))):  # a few days to look at, not every row
            rows = [r for r in rows if start <= r.usage_date < end]
        self._spooled = (start, end, len(rows), *format_csv_rows(_LINE, rows))

    def load(self, conn: psycopg.Connection, params: dict, run_id: int) -> int:
        """Delete the window's usage rows of the team and provider, then copy the new ones in; returns the count."""
        import psycopg

        if self._spooled is None or self._spooled[:2] != (params["window_start"], params["window_end"]):
            self.spool(params)
        _, _, count, kind, data = self._spooled
        conn.execute(paths.sql("usage/delete_window"), params)
        if count:
            prefix = csv_prefix(run_id, params["provider"], params["team_id"], datetime.now(UTC).isoformat(),
                                params["dag_run_id"])
            data = prefixed_csv_rows(kind, data, prefix)
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
        self.loaded = count
        return self.loaded

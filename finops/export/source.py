"""The mapping runner: FOCUS rows of one month streamed out of PostgreSQL by ``COPY (SELECT ...) TO STDOUT``.

Rows never gather in Python: PostgreSQL writes the CSV, chunks go straight to a file, so memory stays
flat in the month's size. A month's exports are serialised by an advisory lock, and each export reads
one snapshot (REPEATABLE READ), so the totals it is checked against describe exactly the rows written.
"""

from __future__ import annotations

import contextlib
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from finops import paths
from finops.errors import UsageError
from finops.export.conformance import Truth

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import psycopg

    from finops.export.months import Month

PROVIDERS = ("openai", "anthropic")
#: pg_advisory_lock(classid, objid): classid names the concern, objid the month (YYYYMM).
LOCK_CLASS = 0x464F4355  # "FOCU"
APPLICATION_NAME = "finops-focus-export"
WRITE_BLOCK = 2**20


@dataclass
class ProviderTotals:
    """What cost_data holds for one provider in the month (one snapshot): the truth the file must equal."""

    provider: str
    rows: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)  # BillingCurrency -> sum of amount
    amount_scale: int = 0
    amount_max: Decimal = Decimal(0)
    quantity_scale: int = 0
    quantity_max: Decimal = Decimal(0)


def month_totals(conn: psycopg.Connection, month: Month, provider: str | None) -> list[ProviderTotals]:
    """Per provider with rows in the month (or the one asked for): counts, sums per currency, widest decimals."""
    found: dict[str, ProviderTotals] = {}
    params = {"month_start": month.start, "month_end": month.end, "provider": provider}
    for row in conn.execute(paths.sql("export/month_totals"), params).fetchall():
        name, currency, rows, amount, a_scale, a_max, q_scale, q_max = row
        totals = found.setdefault(name, ProviderTotals(name))
        totals.rows += rows
        totals.amounts[currency] = amount
        totals.amount_scale = max(totals.amount_scale, a_scale or 0)
        totals.amount_max = max(totals.amount_max, a_max or Decimal(0))
        totals.quantity_scale = max(totals.quantity_scale, q_scale or 0)
        totals.quantity_max = max(totals.quantity_max, q_max or Decimal(0))
    return [found[p] for p in sorted(found)]


def truth_for(conn: psycopg.Connection, groups: set[tuple[str, str]]) -> Truth:
    """cost_data's totals and row counts for the (YYYY-MM, provider) pairs a checked file holds."""
    from finops.export.months import Month

    truth = Truth()
    for period in sorted({period for period, _ in groups}):
        try:
            month = Month.parse(period)
        except UsageError:  # a malformed BillingPeriodStart: the format rules report it
            continue
        for totals in month_totals(conn, month, None):
            if (period, totals.provider) in groups:
                truth.rows[(period, totals.provider)] = totals.rows
                truth.amounts.update({(period, totals.provider, c): a for c, a in totals.amounts.items()})
    return truth


def snapshot_truth(month: Month, totals: ProviderTotals) -> Truth:
    """The Truth of one export, from the totals read in its own snapshot."""
    return Truth(amounts={(str(month), totals.provider, c): a for c, a in totals.amounts.items()},
                 rows={(str(month), totals.provider): totals.rows})


@contextmanager
def month_snapshot(month: Month) -> Iterator[psycopg.Connection]:
    """The month's export lock (waits for another export of it), then one read-only REPEATABLE READ snapshot."""
    import psycopg

    from finops.warehouse.db import connect

    with connect(application_name=APPLICATION_NAME) as conn:
        conn.autocommit = True
        key = month.year * 100 + month.month
        conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, key))
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                yield conn
        finally:
            if not conn.closed and not conn.broken:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, key))


def mapping_sql(provider: str) -> str:
    """The provider's mapping query (``include/sql/export/focus_<provider>.sql``)."""
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}")
    return paths.sql(f"export/focus_{provider}")


def copy_statement(provider: str) -> str:
    return f"COPY ({mapping_sql(provider)}) TO STDOUT WITH (FORMAT csv, HEADER true)"


def stream_csv(conn: psycopg.Connection, provider: str, month: Month, target: Path | None,
               sink: Callable[[bytearray], None] | None = None) -> tuple[int, str]:
    """Stream the month's FOCUS rows as CSV into ``target`` (if any) and ``sink`` (if any), block by block;
    returns the bytes and their sha256."""
    digest = hashlib.sha256()
    size = 0
    params = {"month_start": month.start, "month_end": month.end}
    block = bytearray()  # PostgreSQL sends a message per row: write, hash and hand on in blocks
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(target, "wb")) if target is not None else None
        cur = stack.enter_context(conn.cursor())
        copy = stack.enter_context(cur.copy(copy_statement(provider), params))

        def flush() -> None:
            nonlocal size
            if out is not None:
                out.write(block)
            if sink is not None:
                sink(block)
            digest.update(block)
            size += len(block)
            block.clear()

        for chunk in copy:
            block += chunk
            if len(block) >= WRITE_BLOCK:
                flush()
        flush()
    return size, digest.hexdigest()

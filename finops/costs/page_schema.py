"""The shape of a well-formed Costs API page, decoded straight into cost rows by msgspec.

This is the fast path of :func:`finops.costs.parsing.parse_costs_page`: msgspec decodes and
type-checks the page in C, amounts go from the JSON text to ``Decimal`` without a float, and the
decoded objects are invisible to Python's garbage collector (``gc=False``: JSON cannot build
cycles). The contract's quirks are part of the schema (amounts as numbers or strings, null
projects, unknown fields); anything else (a value of the wrong type, a non-finite amount, an empty
currency, an error object, invalid JSON) makes :func:`decode_page` return ``None``, and the caller
takes the checked path, which explains the problem in one sentence. Both paths give the same rows
(``tests/unit/test_costs_page_schema.py`` compares them).
Measured in docs/performance.md: about 3x the rows per second of ``json.loads`` + dicts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from finops.costs.models import UNASSIGNED, CostRow, CostsPage


class _Amount(msgspec.Struct, gc=False):
    value: Decimal
    currency: str


class _Result(msgspec.Struct, gc=False):
    amount: _Amount
    project_id: str | None = None
    line_item: str | None = None
    quantity: int | Decimal | None = None
    quantity_unit: str | None = None
    organization_id: str | None = None


class _Bucket(msgspec.Struct, gc=False):
    start_time: int
    results: list[_Result] | None = None


class _Page(msgspec.Struct, gc=False):
    data: list[_Bucket]
    has_more: bool | None = None
    next_page: str | None = None
    error: Any = None


_DECODER = msgspec.json.Decoder(_Page)
_new_row = tuple.__new__  # what CostRow._make does, without its per-row length check and call


def decode_page(body: str | bytes) -> CostsPage | None:
    """The page's cost rows, or ``None`` when the page needs the checked path."""
    try:
        page = _DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if page.error:
        return None
    rows: list[CostRow] = []
    append = rows.append
    currencies: dict[str, str] = {}
    for bucket in page.data:
        try:
            usage_date = datetime.fromtimestamp(bucket.start_time, UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
        for result in bucket.results or ():
            amount = result.amount
            value = amount.value
            currency = currencies.get(amount.currency)
            if currency is None:
                if not amount.currency:
                    return None
                currency = currencies[amount.currency] = amount.currency.strip().lower()
            if not value.is_finite():
                return None
            quantity = result.quantity
            if type(quantity) is int:
                quantity = Decimal(quantity)
            elif quantity is not None and not quantity.is_finite():
                return None
            append(_new_row(CostRow, (usage_date, result.project_id or UNASSIGNED, result.line_item or "",
                                      currency, value, quantity, result.quantity_unit, result.organization_id)))
    has_more = page.has_more if page.has_more is not None else page.next_page is not None
    return CostsPage(rows=rows, buckets=len(page.data), has_more=has_more, next_page=page.next_page)

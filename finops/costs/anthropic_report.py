"""The contract of Anthropic's cost report and workspace list, written once as msgspec structs.

``amount`` is a decimal string in **cents** (fractional cents included): it becomes dollars by
moving the decimal point two places (``Decimal(amount) / 100``, exact to the last digit). ``currency``
comes upper-case (``USD``) and is stored lower-case like OpenAI's; a null ``workspace_id`` is the
default workspace, stored as ``default``. Unknown fields are ignored (new ones appear without notice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from finops.costs.models import CostRow, CostsPage, Workspace
from finops.costs.parsing import decode_page_body, error_object, schema_error
from finops.money import EXACT, add
from finops.providers import DEFAULT_WORKSPACE

SOURCE = "The Anthropic cost report"
WORKSPACES_SOURCE = "The Anthropic workspace list"


class _Result(msgspec.Struct, gc=False):
    amount: Decimal
    currency: str
    workspace_id: str | None = None
    description: str | None = None
    cost_type: str | None = None
    context_window: str | None = None
    model: str | None = None
    service_tier: str | None = None
    token_type: str | None = None
    inference_geo: str | None = None


class _Bucket(msgspec.Struct, gc=False):
    starting_at: datetime
    ending_at: datetime | None = None
    results: list[_Result] | None = None


class _Page(msgspec.Struct, gc=False):
    data: list[_Bucket] | None = None
    has_more: bool | None = None
    next_page: str | None = None
    error: Any = None


class _Workspace(msgspec.Struct, gc=False):
    id: str
    name: str | None = None
    created_at: datetime | None = None
    archived_at: datetime | None = None


class _WorkspacePage(msgspec.Struct, gc=False):
    data: list[_Workspace] | None = None
    has_more: bool | None = None
    first_id: str | None = None
    last_id: str | None = None
    error: Any = None


_PAGE = msgspec.json.Decoder(_Page)
_WORKSPACES = msgspec.json.Decoder(_WorkspacePage)


def cents_to_dollars(cents: Decimal) -> Decimal:
    """``Decimal(amount) / 100``, exact: ``123.78912`` cents are ``1.2378912`` dollars."""
    return cents.scaleb(-2, EXACT)


def _utc_date(moment: datetime) -> date:
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def _merge(a: CostRow, b: CostRow) -> CostRow:
    """Two results with one natural key in one bucket: amounts add up, fields that differ become unknown."""
    details = [x if x == y else None for x, y in zip(a[8:], b[8:], strict=True)]
    return CostRow(a.usage_date, a.project_id, a.line_item, a.currency, add(a.amount, b.amount), None, None, None, *details)


def decode_cost_report(body: str | bytes, *, page: int, status: int | None = 200,
                       content_type: str | None = "application/json") -> CostsPage:
    """One cost report page as cost rows of every workspace (dollars, lower-case currency, ``default``)."""
    decoded = decode_page_body(_PAGE, body, source=SOURCE, page=page, what=f"cost report page {page}",
                               status=status, content_type=content_type, conn_id="anthropic_api")
    if decoded.error:
        raise error_object(SOURCE, page, decoded.error)
    if decoded.data is None:
        raise schema_error(SOURCE, page, "`data` is missing or not a list")
    rows: list[CostRow] = []
    for index, bucket in enumerate(decoded.data):
        usage_date = _utc_date(bucket.starting_at)
        by_key: dict[tuple[str, str, str], CostRow] = {}
        for position, result in enumerate(bucket.results or ()):
            if not result.amount.is_finite():
                raise schema_error(SOURCE, page, f"`data[{index}].results[{position}].amount` is {result.amount}, "
                                                 "not a finite number")
            currency = result.currency.strip().lower()
            if not currency:
                raise schema_error(SOURCE, page, f"`data[{index}].results[{position}].currency` is empty")
            row = CostRow(usage_date, result.workspace_id or DEFAULT_WORKSPACE, result.description or "", currency,
                          cents_to_dollars(result.amount), None, None, None, result.model, result.token_type,
                          result.cost_type, result.service_tier, result.context_window, result.inference_geo)
            key = (row.project_id, row.line_item, currency)
            by_key[key] = _merge(by_key[key], row) if key in by_key else row
        rows.extend(by_key.values())
    has_more = decoded.has_more if decoded.has_more is not None else decoded.next_page is not None
    return CostsPage(rows=rows, buckets=len(decoded.data), has_more=has_more, next_page=decoded.next_page)


@dataclass(frozen=True, slots=True)
class WorkspacePage:
    """One page of the workspace list and its ``last_id`` cursor."""

    workspaces: list[Workspace]
    has_more: bool
    last_id: str | None


def decode_workspaces(body: str | bytes, *, page: int, status: int | None = 200,
                      content_type: str | None = "application/json") -> WorkspacePage:
    """One page of ``/v1/organizations/workspaces``."""
    decoded = decode_page_body(_WORKSPACES, body, source=WORKSPACES_SOURCE, page=page,
                               what=f"workspace list page {page}", status=status, content_type=content_type,
                               conn_id="anthropic_api")
    if decoded.error:
        raise error_object(WORKSPACES_SOURCE, page, decoded.error)
    if decoded.data is None:
        raise schema_error(WORKSPACES_SOURCE, page, "`data` is missing or not a list")
    workspaces = [Workspace(id=w.id, name=w.name or "", archived_at=w.archived_at, created_at=w.created_at)
                  for w in decoded.data]
    last_id = decoded.last_id or (workspaces[-1].id if workspaces else None)
    return WorkspacePage(workspaces=workspaces, has_more=bool(decoded.has_more), last_id=last_id)

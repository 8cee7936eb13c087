"""Typed values crossing the cost APIs' boundary: one cost row per (day, scope, line item, currency)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

#: The project ID stored for cost the OpenAI API reports without one (never dropped).
UNASSIGNED = "unassigned"


class CostRow(NamedTuple):
    """One result of a daily cost bucket, amounts exact in the currency's unit (dollars, not cents).

    A named tuple: the cheapest immutable value per row. ``project_id`` is the provider's scope: an
    OpenAI project ID (or ``unassigned``) or an Anthropic workspace ID (or ``default``); ``line_item``
    is OpenAI's line item or Anthropic's cost description. The last six fields are the structured
    fields of Anthropic's cost report (``None`` for OpenAI rows and for Anthropic's non-token costs).
    """

    usage_date: date
    project_id: str
    line_item: str
    currency: str
    amount: Decimal
    quantity: Decimal | None
    quantity_unit: str | None
    organization_id: str | None
    model: str | None = None
    token_type: str | None = None
    cost_type: str | None = None
    service_tier: str | None = None
    context_window: str | None = None
    inference_geo: str | None = None
    #: The API key that spent it (None where the provider reports none: organization-level, Playground, not per key).
    api_key_id: str | None = None
    #: True when the amount is a share of a billed amount allocated to the key (finops.attribution.allocation).
    allocated: bool = False

    @property
    def key(self) -> tuple[date, str, str, str, str | None]:
        """The natural key within a team and provider: (usage_date, project_id, line_item, currency, api_key_id)."""
        return (self.usage_date, self.project_id, self.line_item, self.currency, self.api_key_id)


#: Column names of a row's structured fields, in order (for the loader and SQL).
DETAIL_FIELDS = ("model", "token_type", "cost_type", "service_tier", "context_window", "inference_geo", "api_key_id",
                 "allocated")


@dataclass(frozen=True, slots=True)
class SkippedCost:
    """Cost the API reported for a scope the team has not registered (left out, and accounted here)."""

    scope_id: str
    currency: str
    rows: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Project:
    """An OpenAI project as the organization's project endpoints describe it."""

    id: str
    name: str
    status: str
    archived_at: datetime | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class Workspace:
    """An Anthropic workspace as ``/v1/organizations/workspaces`` describes it (``default`` is never listed)."""

    id: str
    name: str
    archived_at: datetime | None
    created_at: datetime | None

    @property
    def status(self) -> str:
        return "archived" if self.archived_at else "active"


@dataclass(frozen=True, slots=True)
class CostsPage:
    """One parsed page of a cost endpoint."""

    rows: list[CostRow]
    buckets: int
    has_more: bool
    next_page: str | None

"""Typed values crossing the Costs API boundary: one cost row per (day, project, line item)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

#: The project ID stored for cost the API reports without one (never dropped).
UNASSIGNED = "unassigned"


class CostRow(NamedTuple):
    """One result of a daily Costs API bucket, amounts exact (a named tuple: cheapest immutable value per row)."""

    usage_date: date
    project_id: str
    line_item: str
    currency: str
    amount: Decimal
    quantity: Decimal | None
    quantity_unit: str | None
    organization_id: str | None

    @property
    def key(self) -> tuple[date, str, str, str]:
        """The warehouse's natural key within a team: (usage_date, project_id, line_item, currency)."""
        return (self.usage_date, self.project_id, self.line_item, self.currency)


@dataclass(frozen=True, slots=True)
class Project:
    """An OpenAI project as the organization's project endpoints describe it."""

    id: str
    name: str
    status: str
    archived_at: datetime | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class CostsPage:
    """One parsed page of ``/v1/organization/costs``."""

    rows: list[CostRow]
    buckets: int
    has_more: bool
    next_page: str | None

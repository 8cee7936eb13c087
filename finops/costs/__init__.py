"""The OpenAI Costs API client: typed cost rows, cursor pagination, retries, one error per failure."""

from __future__ import annotations

from finops.costs.client import ClientSettings, CostsClient, CostStream
from finops.costs.errors import (
    AdminKeyLacksScope,
    AdminKeyRejected,
    CostsApiBadRequest,
    CostsApiError,
    CostsApiResponseError,
    CostsApiUnavailable,
    OpenAIProjectNotFound,
    PaginationError,
)
from finops.costs.models import UNASSIGNED, CostRow, Project

__all__ = [
    "UNASSIGNED",
    "AdminKeyLacksScope",
    "AdminKeyRejected",
    "ClientSettings",
    "CostRow",
    "CostStream",
    "CostsApiBadRequest",
    "CostsApiError",
    "CostsApiResponseError",
    "CostsApiUnavailable",
    "CostsClient",
    "OpenAIProjectNotFound",
    "PaginationError",
    "Project",
]

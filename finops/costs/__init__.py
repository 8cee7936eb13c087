"""The providers' cost API clients: typed cost rows, one paginator, one retry policy, one error per failure."""

from __future__ import annotations

from finops.costs.client import ClientSettings, CostsClient, CostStream
from finops.costs.errors import (
    AdminKeyLacksScope,
    AdminKeyRejected,
    AnthropicWorkspaceNotFound,
    CostsApiBadRequest,
    CostsApiError,
    CostsApiResponseError,
    CostsApiUnavailable,
    OpenAIProjectNotFound,
    PaginationError,
    RedirectRefused,
)
from finops.costs.models import UNASSIGNED, CostRow, Project, SkippedCost, Workspace

__all__ = [
    "UNASSIGNED",
    "AdminKeyLacksScope",
    "AdminKeyRejected",
    "AnthropicWorkspaceNotFound",
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
    "RedirectRefused",
    "SkippedCost",
    "Workspace",
    "client_for",
]


def client_for(provider: str, **kwargs):
    """A new client for ``provider`` on its connection (``openai_api`` or ``anthropic_api``)."""
    from finops.providers import ANTHROPIC
    from finops.providers import provider as spec

    if spec(provider).name == ANTHROPIC:
        from finops.costs.anthropic import AnthropicClient

        return AnthropicClient(**kwargs)
    return CostsClient(**kwargs)

"""Budgets on the page: set one (team-wide, or for a provider or project) and remove one, as ``finops budgets`` does.

The forms call the same checks and store as the CLI (``finops.alerts.budgets``): a bad amount, threshold
list, month or project is one sentence next to the form, and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from finops.web.actions import perform
from finops.web.csrf import CsrfDep
from finops.web.routes.analytics import TodayDep
from finops.web.security import TeamManagerDep

budgets_router = APIRouter(tags=["FinOps budgets"])


def _optional(value: str) -> str | None:
    return value.strip() or None


@budgets_router.post("/teams/{team_id}/budgets", dependencies=[CsrfDep], response_class=RedirectResponse,
                     status_code=303)
def set_budget(
    request: Request,
    team_id: str,
    access: TeamManagerDep,
    today: TodayDep,
    amount: Annotated[str, Form()] = "",
    provider: Annotated[str, Form()] = "",
    project_id: Annotated[str, Form()] = "",
    thresholds: Annotated[str, Form()] = "",
    from_month: Annotated[str, Form()] = "",
    currency: Annotated[str, Form()] = "usd",
) -> RedirectResponse:
    """Set the team's monthly budget from a month on (default: the current UTC month); history is kept."""
    from finops.alerts import budgets

    def operation() -> str:
        change = budgets.set_budget(team_id, amount, access.actor, today=today, provider=_optional(provider),
                                    project_id=_optional(project_id), thresholds=_optional(thresholds),
                                    from_month=_optional(from_month), currency=currency.strip() or "usd")
        return budgets.set_message(change)

    values = {"amount": amount, "provider": provider, "project_id": project_id, "thresholds": thresholds,
              "from_month": from_month, "currency": currency}
    return perform(request, "budget", team_id, values, operation)


@budgets_router.post("/teams/{team_id}/budgets/remove", dependencies=[CsrfDep], response_class=RedirectResponse,
                     status_code=303)
def remove_budget(
    request: Request,
    team_id: str,
    access: TeamManagerDep,
    today: TodayDep,
    provider: Annotated[str, Form()] = "",
    project_id: Annotated[str, Form()] = "",
    from_month: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """End the scope's budget from a month on (default: the current UTC month); earlier months keep theirs."""
    from finops.alerts import budgets

    def operation() -> str:
        change = budgets.remove_budget(team_id, access.actor, today=today, provider=_optional(provider),
                                       project_id=_optional(project_id), from_month=_optional(from_month))
        return budgets.removal_message(change)

    return perform(request, "remove_budget", team_id, {}, operation)

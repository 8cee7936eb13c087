"""Teams: the JSON overview, adding a team and deactivating one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from finops.web.actions import RegistryDep, perform, require_confirmation
from finops.web.csrf import CsrfDep
from finops.web.datamodels import Overview
from finops.web.flash import Flash
from finops.web.overview import PageNumber, QueryText, build_overview
from finops.web.routes.analytics import TodayDep
from finops.web.security import ManagerDep, ViewerDep

teams_router = APIRouter(tags=["FinOps teams"])


@teams_router.get("/api/teams")
def teams_overview(access: ViewerDep, registry: RegistryDep, today: TodayDep, q: QueryText = "",
                   page_number: PageNumber = 1) -> Overview:
    """One page of teams (``q`` filters by id or name) with key status, projects, grid, spend, audit and budgets."""
    return build_overview(registry, can_manage=access.can_manage, today=today, query=q, page=page_number,
                          teams=access.teams)


@teams_router.post("/teams", dependencies=[CsrfDep], response_class=RedirectResponse, status_code=303)
def add_team(
    request: Request,
    access: ManagerDep,
    registry: RegistryDep,
    team_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Add a team (or reactivate a deactivated one)."""
    team_id = team_id.strip()

    def operation() -> Flash:
        team = registry.add_team(team_id, access.actor, name=name.strip() or None)
        return Flash(kind="ok", message=f"Team {team.team_id} ({team.name}) is registered; register its Admin key next.",
                     team_id=team.team_id)

    return perform(request, "team", None, {"team_id": team_id, "name": name}, operation)


@teams_router.post("/teams/{team_id}/deactivate", dependencies=[CsrfDep], response_class=RedirectResponse,
                   status_code=303)
def deactivate_team(
    request: Request,
    team_id: str,
    access: ManagerDep,
    registry: RegistryDep,
    confirm: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Stop collecting for a team; its data, key metadata and projects stay."""

    def operation() -> Flash:
        require_confirmation(confirm, f"deactivate team {team_id}")
        registry.deactivate_team(team_id, access.actor)
        return Flash(kind="ok", message=f"Team {team_id} is deactivated; add it again to reactivate it.")

    return perform(request, "deactivate", team_id, {}, operation)

"""Project and workspace IDs: the JSON list, adding one (checked live with the team's key by default), removing one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from finops.providers import OPENAI, PROVIDERS
from finops.web.actions import RegistryDep, checked, perform
from finops.web.csrf import CsrfDep
from finops.web.datamodels import ProjectList
from finops.web.flash import Flash
from finops.web.overview import project_view
from finops.web.routes.keys import PROVIDER_NAMES, form_name, provider_name
from finops.web.security import ManagerDep, ViewerDep, require_team

projects_router = APIRouter(tags=["FinOps project IDs"])


@projects_router.get("/api/projects")
def list_projects(access: ViewerDep, registry: RegistryDep, team_id: str | None = None,
                  provider: str | None = None) -> ProjectList:
    """Registered project and workspace IDs, of one team or of all the user sees, of every provider or of ``provider``."""
    if team_id is not None:
        require_team(team_id, access)
    chosen = provider_name(provider) if provider else None
    return ProjectList(team_id=team_id, projects=[project_view(p) for p in registry.projects(team_id, provider=chosen)
                                                  if access.sees(p.team_id)])


@projects_router.post("/teams/{team_id}/projects", dependencies=[CsrfDep], response_class=RedirectResponse,
                      status_code=303)
def add_project(
    request: Request,
    team_id: str,
    access: ManagerDep,
    registry: RegistryDep,
    project_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    skip_verify: Annotated[str, Form()] = "",
    provider: Annotated[str, Form()] = OPENAI,
) -> RedirectResponse:
    """Register a project ID (OpenAI) or workspace ID (Anthropic, or ``default``) for the team."""
    project_id = project_id.strip()
    verify = not checked(skip_verify)
    chosen = provider if provider in PROVIDER_NAMES else OPENAI

    def operation() -> Flash:
        chosen_name = provider_name(provider)
        registration = registry.add_project(team_id, project_id, access.actor, name=name.strip() or None,
                                            verify=verify, provider=chosen_name)
        project = registration.project
        label = f"{project.project_id} ({project.name})" if project.name else project.project_id
        noun = "Project" if chosen_name == OPENAI else f"{PROVIDERS[chosen_name].label} workspace"
        message = f"{noun} {label} is registered for team {team_id}."
        if registration.warnings:
            return Flash(kind="warning", message=f"{message} {' '.join(registration.warnings)}", team_id=team_id)
        return Flash(kind="ok", message=message, team_id=team_id)

    values = {"project_id": project_id, "name": name, "skip_verify": "on" if not verify else ""}
    return perform(request, form_name("project", chosen), team_id, values, operation)


@projects_router.post("/teams/{team_id}/projects/remove", dependencies=[CsrfDep], response_class=RedirectResponse,
                      status_code=303)
def remove_project(
    request: Request,
    team_id: str,
    access: ManagerDep,
    registry: RegistryDep,
    project_id: Annotated[str, Form()] = "",
    provider: Annotated[str, Form()] = OPENAI,
) -> RedirectResponse:
    """Stop collecting a project or workspace ID for the team (its collected costs stay)."""
    chosen = provider if provider in PROVIDER_NAMES else OPENAI

    def operation() -> str:
        chosen_name = provider_name(provider)
        registry.remove_project(team_id, project_id, access.actor, provider=chosen_name)
        noun = "Project" if chosen_name == OPENAI else f"{PROVIDERS[chosen_name].label} workspace"
        return f"{noun} {project_id} is no longer collected for team {team_id}; its past costs stay."

    return perform(request, form_name("remove_project", chosen), team_id, {"project_id": project_id}, operation)

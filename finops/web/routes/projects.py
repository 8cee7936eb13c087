"""Project IDs: the JSON list, adding one (checked live against the team's key by default), removing one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from finops.web.actions import RegistryDep, checked, perform
from finops.web.csrf import CsrfDep
from finops.web.datamodels import ProjectList
from finops.web.flash import Flash
from finops.web.overview import project_view
from finops.web.security import ManagerDep, ViewerDep

projects_router = APIRouter(tags=["FinOps project IDs"])


@projects_router.get("/api/projects")
def list_projects(access: ViewerDep, registry: RegistryDep, team_id: str | None = None) -> ProjectList:
    """Registered project IDs, of one team or of all."""
    return ProjectList(team_id=team_id, projects=[project_view(p) for p in registry.projects(team_id)])


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
) -> RedirectResponse:
    """Register a project ID for the team."""
    project_id = project_id.strip()
    verify = not checked(skip_verify)

    def operation() -> Flash:
        registration = registry.add_project(team_id, project_id, access.actor, name=name.strip() or None,
                                            verify=verify)
        project = registration.project
        label = f"{project.project_id} ({project.name})" if project.name else project.project_id
        message = f"Project {label} is registered for team {team_id}."
        if registration.warnings:
            return Flash(kind="warning", message=f"{message} {' '.join(registration.warnings)}", team_id=team_id)
        return Flash(kind="ok", message=message, team_id=team_id)

    values = {"project_id": project_id, "name": name, "skip_verify": "on" if not verify else ""}
    return perform(request, "project", team_id, values, operation)


@projects_router.post("/teams/{team_id}/projects/remove", dependencies=[CsrfDep], response_class=RedirectResponse,
                      status_code=303)
def remove_project(
    request: Request,
    team_id: str,
    access: ManagerDep,
    registry: RegistryDep,
    project_id: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Stop collecting a project ID for the team (its collected costs stay)."""

    def operation() -> str:
        registry.remove_project(team_id, project_id, access.actor)
        return f"Project {project_id} is no longer collected for team {team_id}; its past costs stay."

    return perform(request, "remove_project", team_id, {"project_id": project_id}, operation)

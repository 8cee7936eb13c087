"""Who may see the FinOps page and who may change it, decided by Airflow's auth manager.

Reading needs an authenticated user who may read the collection DAG ``openai_costs_daily`` (the
page shows what it collected), see plugins (``AccessView.PLUGINS``) or the custom view ``FinOps``:
under FAB the Viewer role has the first, only Op and Admin the second. Changing anything needs the
right to edit Airflow connections, because Admin keys are connection-grade secrets.

Airflow's API modules are imported when a request arrives, not when the plugin is loaded, so
task processes (which load plugins too) do not pay for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

RESOURCE_NAME = "FinOps"
COLLECTION_DAG_ID = "openai_costs_daily"


@dataclass(frozen=True)
class Access:
    """The authenticated user and what they may do on the page."""

    user: Any
    name: str
    can_manage: bool
    #: The teams the user may see; None is every team. Scoped access (issue 27) narrows it in ``require_view``.
    teams: frozenset[str] | None = None

    def sees(self, team_id: str) -> bool:
        """Whether the user may see this team (every page, chart, table and download asks this one question)."""
        return self.teams is None or team_id in self.teams

    @property
    def actor(self) -> str:
        """How changes are attributed in the audit log."""
        return f"airflow:{self.name}"


async def current_user(request: Request) -> Any:
    """The Airflow user of the request, exactly as Airflow's ``GetUserDep`` resolves it.

    A Bearer token wins over the UI's ``_token`` cookie; no or an expired token is a 401.
    """
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    return await get_user(request, None, await bearer_scheme(request))


UserDep = Annotated[Any, Depends(current_user)]


def _auth_manager() -> Any:
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager()


def can_view(user: Any) -> bool:
    """Whether the auth manager lets the user see the page."""
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView, DagDetails

    manager = _auth_manager()
    return bool(
        manager.is_authorized_dag(method="GET", details=DagDetails(id=COLLECTION_DAG_ID), user=user)
        or manager.is_authorized_view(access_view=AccessView.PLUGINS, user=user)
        or manager.is_authorized_custom_view(method="GET", resource_name=RESOURCE_NAME, user=user)
    )


def can_manage(user: Any) -> bool:
    """Whether the auth manager lets the user edit connections (and so teams, keys and projects)."""
    return bool(_auth_manager().is_authorized_connection(method="PUT", user=user))


def require_view(user: UserDep) -> Access:
    """The one read rule of every FinOps page, download and JSON route: 401 without a valid token, 403 without read.

    Later rules (a team's members, issue 27) narrow what an ``Access`` may see here, in this one function.
    """
    if not can_view(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"You may not see the FinOps pages; ask for read access to the {COLLECTION_DAG_ID} DAG.")
    return Access(user=user, name=user.get_name(), can_manage=can_manage(user))


ViewerDep = Annotated[Access, Depends(require_view)]


def require_team(team_id: str, access: ViewerDep) -> Access:
    """The read rule for one team's pages: a team the user may not see is a 404, as an unknown one."""
    if not access.sees(team_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Team {team_id} is not registered; see the team list.")
    return access


TeamReaderDep = Annotated[Access, Depends(require_team)]
#: Added to every router: no FinOps route answers a user the read rule refuses, whatever its own dependencies.
READ_RULE = [Depends(require_view)]


def require_manage(access: ViewerDep) -> Access:
    """403 unless the user may edit Airflow connections."""
    if not access.can_manage:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "Changing FinOps teams, keys and projects needs the permission to edit Airflow connections.",
        )
    return access


ManagerDep = Annotated[Access, Depends(require_manage)]

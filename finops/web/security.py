"""Who may see the FinOps page and who may change it, decided by Airflow's auth manager.

Reading needs an authenticated user who may read the collection DAG ``openai_costs_daily`` (the
page shows what it collected), see plugins (``AccessView.PLUGINS``) or the custom view ``FinOps``:
under FAB the Viewer role has the first, only Op and Admin the second. Which teams such a user sees,
and which it may change, is decided by one function, :func:`access_of`, on top of
``finops.showback.access``: admins (the right to edit Airflow connections, because Admin keys are
connection-grade secrets) see and manage every team; users named in ``finops_all_teams_readers`` read
every team; anyone else sees the teams they are a member of (a ``manager`` also sets their budgets and
channels). Every router gets :data:`READ_RULE`, so every route with a ``{team_id}`` answers 404 for a
team the user may not see, as for an unknown one.

Airflow's API modules are imported when a request arrives, not when the plugin is loaded, so
task processes (which load plugins too) do not pay for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

NOT_REGISTERED = "Team {team_id} is not registered; see the team list."

RESOURCE_NAME = "FinOps"
COLLECTION_DAG_ID = "openai_costs_daily"


@dataclass(frozen=True)
class Access:
    """The authenticated user and what they may do on the page."""

    user: Any
    name: str
    #: Admin: may manage every team (teams, keys, projects, members, budgets, channels).
    can_manage: bool
    #: The teams the user may see; None is every team (admins and ``finops_all_teams_readers``).
    teams: frozenset[str] | None = None
    #: The teams whose budgets and channels the user may set without being an admin (its ``manager`` teams).
    managed: frozenset[str] = frozenset()

    def sees(self, team_id: str) -> bool:
        """Whether the user may see this team (every page, chart, table and download asks this one question)."""
        return self.teams is None or team_id in self.teams

    def manages(self, team_id: str) -> bool:
        """Whether the user may set this team's budgets and channels (admins, and the team's managers)."""
        return self.can_manage or (self.sees(team_id) and team_id in self.managed)

    @property
    def changes_anything(self) -> bool:
        """Whether some form is the user's (so pages carry a CSRF token)."""
        return self.can_manage or bool(self.managed)

    @property
    def in_no_team(self) -> bool:
        """A user who sees no team at all: the pages say whom to ask."""
        return self.teams is not None and not self.teams

    def team_filter(self) -> list[str] | None:
        """For SQL and lists: None is every team, else the visible team ids (possibly none)."""
        return None if self.teams is None else sorted(self.teams)

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


def access_of(user: Any) -> Access:
    """The one function that decides what a user sees and changes: the auth manager's answer (may it edit
    connections?), the variable ``finops_all_teams_readers`` and the user's memberships, through
    ``finops.showback.access.load_scope``."""
    from finops.showback.access import ScopeKind, identity_of, load_scope
    from finops.showback.members import MANAGER

    scope = load_scope(identity_of(user), may_edit_connections=can_manage(user))
    return Access(user=user, name=user.get_name(), can_manage=scope.kind is ScopeKind.ALL_MANAGE,
                  teams=None if scope.sees_all else frozenset(scope.teams),
                  managed=frozenset(t for t, role in scope.teams.items() if role == MANAGER))


def require_view(user: UserDep) -> Access:
    """The one read rule of every FinOps page, download and JSON route: 401 without a valid token, 403 without read,
    and the user's teams from :func:`access_of` (FastAPI caches it: one decision per request)."""
    if not can_view(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"You may not see the FinOps pages; ask for read access to the {COLLECTION_DAG_ID} DAG.")
    return access_of(user)


ViewerDep = Annotated[Access, Depends(require_view)]


def require_team(team_id: str, access: ViewerDep) -> Access:
    """The read rule for one team: a team the user may not see is a 404, as an unknown one (never a 403)."""
    if not access.sees(team_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_REGISTERED.format(team_id=team_id))
    return access


TeamReaderDep = Annotated[Access, Depends(require_team)]


def require_read(request: Request, access: ViewerDep) -> Access:
    """The router-wide rule: the read rule, and a 404 for any ``{team_id}`` in the path the user may not see
    (pages, JSON, downloads and form posts alike, before the route's own checks)."""
    team_id = request.path_params.get("team_id")
    if team_id is not None:
        require_team(str(team_id), access)
    return access


#: Added to every router: no FinOps route answers a user the read rule refuses, whatever its own dependencies.
READ_RULE = [Depends(require_read)]


ADMIN_ONLY = "Changing FinOps teams, keys and projects needs the permission to edit Airflow connections."


def require_manage(access: ViewerDep) -> Access:
    """403 unless the user may edit Airflow connections (teams, keys, projects, members)."""
    if not access.can_manage:
        raise HTTPException(status.HTTP_403_FORBIDDEN, ADMIN_ONLY)
    return access


ManagerDep = Annotated[Access, Depends(require_manage)]


def require_team_manager(team_id: str, access: TeamReaderDep) -> Access:
    """404 for a team the user may not see; 403 unless an admin or the team's ``manager`` (budgets, channels)."""
    if not access.manages(team_id):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"Setting team {team_id}'s budgets and channels needs its manager role (ask an admin: "
            "`finops members add TEAM_ID USERNAME --role manager`) or the permission to edit Airflow connections.",
        )
    return access


TeamManagerDep = Annotated[Access, Depends(require_team_manager)]

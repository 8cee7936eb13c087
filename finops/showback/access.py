"""The one function that decides which teams an Airflow user sees and manages; every route asks it.

- users who may edit Airflow connections (admins) see and manage every team;
- users named in the variable ``finops_all_teams_readers`` (usernames, or roles of the auth manager:
  FAB roles such as ``Finance``; ``user:NAME`` / ``role:NAME`` say which) see every team, read only;
- any other user sees the teams they are a member of: a ``reader`` reads, a ``manager`` may also set the
  team's budgets and channels (never its keys);
- a user who is no member of any team sees nothing (the page says whom to ask).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from finops.showback.members import MANAGER, READER
from finops.warehouse.db import FINOPS_DB_CONN_ID

ALL_TEAMS_READERS_VARIABLE = "finops_all_teams_readers"


class ScopeKind(StrEnum):
    ALL_MANAGE = "all_manage"
    ALL_READ = "all_read"
    TEAMS = "teams"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class AirflowIdentity:
    """A user as the auth manager names it: the username and its roles (FAB roles, the simple manager's role)."""

    username: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scope:
    """What one user may see and do: every team (managing or reading), some teams with a role each, or none."""

    kind: ScopeKind
    username: str
    teams: Mapping[str, str] = field(default_factory=dict)

    @property
    def sees_all(self) -> bool:
        return self.kind in (ScopeKind.ALL_MANAGE, ScopeKind.ALL_READ)

    def can_see(self, team_id: str) -> bool:
        """Whether the team exists for this user (a route answers 404 otherwise, never 403)."""
        return self.sees_all or team_id in self.teams

    def can_manage(self, team_id: str) -> bool:
        """Whether the user may set the team's budgets and channels (admins, and the team's managers)."""
        return self.kind is ScopeKind.ALL_MANAGE or self.teams.get(team_id) == MANAGER

    def can_manage_keys(self, team_id: str | None = None) -> bool:
        """Keys, projects, teams and members: admins only (connection-grade secrets)."""
        return self.kind is ScopeKind.ALL_MANAGE

    def visible(self, team_ids: Iterable[str]) -> list[str]:
        """The given teams this user may see, in their order."""
        return [t for t in team_ids if self.can_see(t)]

    def team_filter(self) -> list[str] | None:
        """For SQL: None means every team; a list (maybe empty) restricts to those teams."""
        return None if self.sees_all else sorted(self.teams)


def parse_readers(value: Any) -> tuple[frozenset[str], frozenset[str]]:
    """``finops_all_teams_readers`` as (usernames, roles): a JSON list or comma-separated text; bare names match
    a username or a role, ``user:NAME`` only a username, ``role:NAME`` only a role (case-insensitive)."""
    if value is None:
        return frozenset(), frozenset()
    if isinstance(value, str):
        text = value.strip()
        try:
            items = json.loads(text) if text.startswith("[") else text.split(",")
        except ValueError:
            items = text.strip("[]").split(",")
    else:
        items = list(value)
    users: set[str] = set()
    roles: set[str] = set()
    for item in items:
        name = str(item).strip().strip("\"'")
        if not name:
            continue
        prefix, sep, rest = name.partition(":")
        if sep and prefix.lower() == "user":
            users.add(rest.strip())
        elif sep and prefix.lower() == "role":
            roles.add(rest.strip().lower())
        else:
            users.add(name)
            roles.add(name.lower())
    return frozenset(users), frozenset(roles)


def scope_for(identity: AirflowIdentity, *, may_edit_connections: bool, all_teams_readers: Any,
              memberships: Mapping[str, str]) -> Scope:
    """The user's scope; pure: the caller supplies the auth manager's answer, the variable and the memberships."""
    if may_edit_connections:
        return Scope(ScopeKind.ALL_MANAGE, identity.username)
    users, roles = parse_readers(all_teams_readers)
    if identity.username in users or any(r.lower() in roles for r in identity.roles if r):
        return Scope(ScopeKind.ALL_READ, identity.username)
    teams = {t: (MANAGER if r == MANAGER else READER) for t, r in memberships.items()}
    if teams:
        return Scope(ScopeKind.TEAMS, identity.username, teams)
    return Scope(ScopeKind.NONE, identity.username)


def identity_of(user: Any) -> AirflowIdentity:
    """The username and roles of an auth manager's user (simple: ``role``; FAB: ``roles`` with ``name``)."""
    roles: list[str] = []
    role = getattr(user, "role", None)
    if isinstance(role, str) and role:
        roles.append(role)
    for found in getattr(user, "roles", None) or ():
        name = getattr(found, "name", found)
        if isinstance(name, str) and name:
            roles.append(name)
    return AirflowIdentity(username=str(user.get_name()), roles=tuple(roles))


def load_scope(identity: AirflowIdentity, *, may_edit_connections: bool,
               conn_id: str = FINOPS_DB_CONN_ID) -> Scope:
    """The scope with the variable and the memberships read (memberships only when they can matter)."""
    from finops.lookup import get_variable

    if may_edit_connections:
        return Scope(ScopeKind.ALL_MANAGE, identity.username)
    readers = get_variable(ALL_TEAMS_READERS_VARIABLE, None)
    scope = scope_for(identity, may_edit_connections=False, all_teams_readers=readers, memberships={})
    if scope.sees_all:
        return scope
    from finops.showback.members import memberships

    return scope_for(identity, may_edit_connections=False, all_teams_readers=readers,
                     memberships=memberships(identity.username, conn_id=conn_id))


def user_scope(user: Any, conn_id: str = FINOPS_DB_CONN_ID) -> Scope:
    """The scope of an Airflow user inside the api-server: the auth manager says whether it may edit connections."""
    from airflow.api_fastapi.app import get_auth_manager

    admin = bool(get_auth_manager().is_authorized_connection(method="PUT", user=user))
    return load_scope(identity_of(user), may_edit_connections=admin, conn_id=conn_id)

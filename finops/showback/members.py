"""Team members: who may see (reader) or manage (manager) a team's spend; every change audited like keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.showback.errors import InvalidMember, MemberNotFound
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

if TYPE_CHECKING:
    import psycopg

READER = "reader"
MANAGER = "manager"
ROLES = (READER, MANAGER)
#: An Airflow username as an auth manager names it: no spaces or control characters, at most 256 characters.
USERNAME = re.compile(r"^[^\s\x00-\x1f\x7f]{1,256}$")


@dataclass(frozen=True, slots=True)
class Member:
    team_id: str
    username: str
    role: str
    added_at: datetime
    added_by: str


def check_username(username: str) -> str:
    """A username of the right shape (the auth manager's name of the user, e.g. ``viewer`` or ``jane.doe``)."""
    if not USERNAME.match(username or ""):
        raise InvalidMember(
            f"The username {str(username)[:70]!r} is not an Airflow username; give the user's login name as the "
            "auth manager shows it (no spaces, at most 256 characters)."
        )
    return username


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidMember(f"The role {str(role)[:40]!r} is unknown; give reader or manager.")
    return role


def rows(conn: psycopg.Connection, query: str, cls: type, **params: Any) -> list:
    """Rows of ``include/sql/showback/QUERY.sql`` as ``cls``."""
    from psycopg.rows import class_row

    with conn.cursor(row_factory=class_row(cls)) as cur:
        cur.execute(paths.sql(f"showback/{query}"), params)
        return cur.fetchall() if cur.description else []


def lock_team(conn: psycopg.Connection, team_id: str, *, active: bool) -> None:
    """Lock the team's row; an unknown (or, with ``active``, deactivated) team is one sentence."""
    from finops.registry.errors import TeamInactive, TeamNotFound
    from finops.registry.service import check_team_id

    check_team_id(team_id)
    row = conn.execute(paths.sql("showback/team_lock"), {"team_id": team_id}).fetchone()
    if row is None:
        raise TeamNotFound(f"Team {team_id} does not exist; add it with `finops teams add {team_id}`.")
    if active and not row[2]:
        raise TeamInactive(f"Team {team_id} is deactivated; add it again with `finops teams add {team_id}` to reactivate it.")


def audit(conn: psycopg.Connection, actor: str, action: str, team_id: str, detail: str) -> None:
    """One entry in ``finops.audit_log`` (the same log as keys and budgets)."""
    conn.execute(paths.sql("showback/audit_insert"),
                 {"actor": actor, "action": action, "team_id": team_id, "detail": detail})


def add_member(team_id: str, username: str, actor: str, role: str = READER,
               conn_id: str = FINOPS_DB_CONN_ID) -> tuple[Member, str | None]:
    """Make ``username`` a member of the team with ``role`` (or change its role); returns it and the previous role."""
    params = {"team_id": team_id, "username": check_username(username), "role": check_role(role), "actor": actor}
    with connect(conn_id) as conn:
        lock_team(conn, team_id, active=True)
        before = rows(conn, "member_get", Member, **params)
        previous = before[0].role if before else None
        if previous == role:
            return before[0], previous
        member = rows(conn, "member_upsert", Member, **params)[0]
        if previous is None:
            audit(conn, actor, "member.add", team_id, f"{username} as {role}")
        else:
            audit(conn, actor, "member.role", team_id, f"{username}: {previous} -> {role}")
        return member, previous


def remove_member(team_id: str, username: str, actor: str, conn_id: str = FINOPS_DB_CONN_ID) -> Member:
    """End ``username``'s membership of the team (works for a deactivated team too)."""
    params = {"team_id": team_id, "username": check_username(username)}
    with connect(conn_id) as conn:
        lock_team(conn, team_id, active=False)
        removed = rows(conn, "member_remove", Member, **params)
        if not removed:
            raise MemberNotFound(f"{username} is no member of team {team_id}; see `finops members list {team_id}`.")
        audit(conn, actor, "member.remove", team_id, f"{username} (was {removed[0].role})")
        return removed[0]


def members(team_id: str | None = None, conn_id: str = FINOPS_DB_CONN_ID) -> list[Member]:
    """Every membership (of one team, or of all), by team and username."""
    with connect(conn_id) as conn:
        return rows(conn, "member_list", Member, team_id=team_id)


def memberships(username: str, conn_id: str = FINOPS_DB_CONN_ID) -> dict[str, str]:
    """The teams ``username`` belongs to, with the role in each."""
    with connect(conn_id) as conn:
        return dict(conn.execute(paths.sql("showback/memberships_of"), {"username": username}).fetchall())

"""Registry operations shared by the CLI, the web view and the DAG: one implementation of
validation, encryption and auditing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.hooks.kms import admin_key_context
from finops.registry import admin_keys
from finops.registry.errors import (
    InvalidProjectId,
    InvalidTeamId,
    NoActiveKey,
    ProjectAlreadyRegistered,
    ProjectNotRegistered,
    TeamExists,
    TeamInactive,
    TeamNotFound,
)
from finops.registry.models import (
    AdminKeyInfo,
    AuditEntry,
    KeyRegistration,
    Project,
    ProjectRegistration,
    Team,
)
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

if TYPE_CHECKING:
    import psycopg

TEAM_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
PROJECT_ID = re.compile(r"^proj_[A-Za-z0-9_-]{1,64}$")
MAX_NAME = 200


def check_team_id(team_id: str) -> str:
    if not TEAM_ID.match(team_id or ""):
        raise InvalidTeamId(
            "A team id is 1 to 63 lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit "
            f"(got {team_id[:70]!r})."
        )
    return team_id


def check_project_id(project_id: str) -> str:
    if not PROJECT_ID.match(project_id or ""):
        raise InvalidProjectId(
            f"An OpenAI project id looks like `proj_` followed by letters and digits (got {project_id[:80]!r}); "
            "copy it from the project's settings page."
        )
    return project_id


class Registry:
    """Teams, Admin keys and project IDs in the warehouse; KMS and the OpenAI API created on demand."""

    def __init__(self, conn_id: str = FINOPS_DB_CONN_ID, kms: Any = None, api: Any = None) -> None:
        self.conn_id = conn_id
        self._kms = kms
        self._api = api

    @property
    def kms(self):
        if self._kms is None:
            from finops.hooks.kms import KmsHook

            self._kms = KmsHook()
        return self._kms

    @property
    def api(self):
        if self._api is None:
            from finops.costs.client import CostsClient

            self._api = CostsClient()
        return self._api

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _rows(conn: psycopg.Connection, _query: str, _cls: type, **params: Any) -> list:
        from psycopg.rows import class_row

        with conn.cursor(row_factory=class_row(_cls)) as cur:
            cur.execute(paths.sql(f"registry/{_query}"), params)
            return cur.fetchall() if cur.description else []

    @staticmethod
    def _execute(conn: psycopg.Connection, _query: str, **params: Any) -> int:
        return conn.execute(paths.sql(f"registry/{_query}"), params).rowcount

    @staticmethod
    def _audit(conn: psycopg.Connection, actor: str, action: str, team_id: str | None,
               fingerprint: str | None = None, detail: str | None = None) -> None:
        conn.execute(paths.sql("registry/audit_insert"), {
            "actor": actor, "action": action, "team_id": team_id, "fingerprint": fingerprint, "detail": detail,
        })

    def _team(self, conn: psycopg.Connection, team_id: str, *, lock: bool = False, active: bool = True) -> Team:
        check_team_id(team_id)
        rows = self._rows(conn, "team_lock" if lock else "team_get", Team, team_id=team_id)
        if not rows:
            raise TeamNotFound(f"Team {team_id} does not exist; add it with `finops teams add {team_id}`.")
        team = rows[0]
        if active and not team.active:
            raise TeamInactive(f"Team {team_id} is deactivated; add it again with `finops teams add {team_id}` to reactivate it.")
        return team

    # -- teams -------------------------------------------------------------------------------
    def add_team(self, team_id: str, actor: str, name: str | None = None) -> Team:
        """Register a team (or reactivate a deactivated one)."""
        check_team_id(team_id)
        clean_name = (name or team_id).strip()[:MAX_NAME] or team_id
        with connect(self.conn_id) as conn:
            rows = self._rows(conn, "team_insert", Team, team_id=team_id, name=clean_name, actor=actor)
            action = "team.add"
            if not rows:
                rows = self._rows(conn, "team_reactivate", Team, team_id=team_id, name=name and clean_name)
                action = "team.reactivate"
            if not rows:
                raise TeamExists(f"Team {team_id} already exists; list teams with `finops teams list`.")
            self._audit(conn, actor, action, team_id, detail=f"name: {clean_name}")
            return rows[0]

    def teams(self, include_inactive: bool = False) -> list[Team]:
        with connect(self.conn_id) as conn:
            return self._rows(conn, "team_list", Team, include_inactive=include_inactive)

    def team(self, team_id: str) -> Team:
        with connect(self.conn_id) as conn:
            return self._team(conn, team_id, active=False)

    def deactivate_team(self, team_id: str, actor: str) -> None:
        """Stop collecting for a team; its data, key metadata and projects stay."""
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, lock=True)
            self._execute(conn, "team_deactivate", team_id=team_id, actor=actor)
            self._audit(conn, actor, "team.deactivate", team_id)

    # -- keys --------------------------------------------------------------------------------
    def register_key(self, team_id: str, raw_key: str, actor: str, verify: bool = True) -> KeyRegistration:
        """Check, optionally verify live, encrypt and store a key; an existing active key is rotated.

        Everything that can fail (format, the live check, KMS) happens before the transaction, so
        a failed registration leaves the previous active key in place.
        """
        key = admin_keys.clean_key_input(raw_key)
        with connect(self.conn_id) as conn:
            self._team(conn, team_id)
        if verify:
            self.api.projects(key, limit=1)
        ciphertext = self.kms.encrypt(key, admin_key_context(team_id))
        params = {
            "team_id": team_id, "ciphertext": ciphertext, "kms_key_id": self.kms.key_id,
            "redacted": admin_keys.redact(key), "fingerprint": admin_keys.fingerprint(key),
            "actor": actor, "verified": verify,
        }
        del key
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, lock=True)
            retired = self._rows(conn, "key_retire_active", AdminKeyInfo, team_id=team_id, status="rotated", actor=actor)
            stored = self._rows(conn, "key_insert", AdminKeyInfo, **params)[0]
            rotated = retired[0] if retired else None
            detail = f"replaces {rotated.fingerprint}" if rotated else None
            self._audit(conn, actor, "key.rotate" if rotated else "key.register", team_id, stored.fingerprint, detail)
            return KeyRegistration(key=stored, rotated=rotated, verified=verify)

    def revoke_key(self, team_id: str, actor: str) -> AdminKeyInfo:
        """Delete the active key's ciphertext and mark it revoked; its metadata stays for the audit."""
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, lock=True, active=False)
            retired = self._rows(conn, "key_retire_active", AdminKeyInfo, team_id=team_id, status="revoked", actor=actor)
            if not retired:
                raise NoActiveKey(f"Team {team_id} has no active Admin key to revoke.")
            self._audit(conn, actor, "key.revoke", team_id, retired[0].fingerprint)
            return retired[0]

    def active_key(self, team_id: str) -> AdminKeyInfo | None:
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, active=False)
            rows = self._rows(conn, "key_active", AdminKeyInfo, team_id=team_id)
            return rows[0] if rows else None

    def key_history(self, team_id: str) -> list[AdminKeyInfo]:
        with connect(self.conn_id) as conn:
            return self._rows(conn, "key_history", AdminKeyInfo, team_id=team_id)

    def key_histories(self, team_ids: list[str]) -> dict[str, list[AdminKeyInfo]]:
        """``key_history`` of several teams in one query (a page of the FinOps page)."""
        with connect(self.conn_id) as conn:
            rows = self._rows(conn, "key_histories", AdminKeyInfo, team_ids=list(team_ids))
        return _by_team(rows, team_ids)

    def decrypt_key(self, team_id: str) -> str:
        """The team's plaintext Admin key, for the task or request that uses it (masked in logs)."""
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, active=False)
            row = conn.execute(paths.sql("registry/key_ciphertext"), {"team_id": team_id}).fetchone()
        if row is None:
            raise NoActiveKey(
                f"Team {team_id} has no active Admin key; register one with `finops keys register {team_id}` "
                "or on the FinOps page."
            )
        return self.kms.decrypt(row[1], admin_key_context(team_id))

    def mark_verified(self, team_id: str) -> None:
        with connect(self.conn_id) as conn:
            self._execute(conn, "key_mark_verified", team_id=team_id)

    # -- projects ----------------------------------------------------------------------------
    def add_project(self, team_id: str, project_id: str, actor: str, name: str | None = None,
                    verify: bool = True) -> ProjectRegistration:
        """Register an OpenAI project id for a team, checked live against the key's organization."""
        check_project_id(project_id)
        with connect(self.conn_id) as conn:
            self._team(conn, team_id)
            existing = [p for p in self._rows(conn, "project_list", Project, team_id=team_id, include_removed=False)
                        if p.project_id == project_id]
        if existing:
            raise ProjectAlreadyRegistered(f"Project {project_id} is already registered for team {team_id}.")
        warnings: list[str] = []
        archived = False
        if verify:
            live = self.api.project(self.decrypt_key(team_id), project_id)
            name = name or live.name
            archived = live.status == "archived"
            if archived:
                warnings.append(
                    f"Project {project_id} is archived in OpenAI: it incurs no new costs, but its past costs are collected."
                )
        clean_name = name.strip()[:MAX_NAME] if name else None
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, lock=True)
            rows = self._rows(conn, "project_upsert", Project, team_id=team_id, project_id=project_id,
                              name=clean_name, archived=archived, verified=verify, actor=actor)
            if not rows:
                raise ProjectAlreadyRegistered(f"Project {project_id} is already registered for team {team_id}.")
            self._audit(conn, actor, "project.add", team_id, detail=f"{project_id}" + (f" ({clean_name})" if clean_name else ""))
            return ProjectRegistration(project=rows[0], warnings=tuple(warnings))

    def remove_project(self, team_id: str, project_id: str, actor: str) -> None:
        check_project_id(project_id)
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, lock=True, active=False)
            if not self._execute(conn, "project_remove", team_id=team_id, project_id=project_id, actor=actor):
                raise ProjectNotRegistered(f"Project {project_id} is not registered for team {team_id}; see `finops projects list {team_id}`.")
            self._audit(conn, actor, "project.remove", team_id, detail=project_id)

    def projects(self, team_id: str | None = None, include_removed: bool = False) -> list[Project]:
        with connect(self.conn_id) as conn:
            if team_id is not None:
                self._team(conn, team_id, active=False)
            return self._rows(conn, "project_list", Project, team_id=team_id, include_removed=include_removed)

    # -- audit -------------------------------------------------------------------------------
    def audit(self, team_id: str | None = None, limit: int = 50) -> list[AuditEntry]:
        with connect(self.conn_id) as conn:
            return self._rows(conn, "audit_list", AuditEntry, team_id=team_id, limit=limit)

    def recent_audit(self, team_ids: list[str], limit: int) -> dict[str, list[AuditEntry]]:
        """The latest ``limit`` audit entries of each team, in one query."""
        with connect(self.conn_id) as conn:
            rows = self._rows(conn, "audit_recent", AuditEntry, team_ids=list(team_ids), limit=limit)
        return _by_team(rows, team_ids)


def _by_team(rows: list, team_ids: list[str]) -> dict[str, list]:
    """Rows grouped by their ``team_id`` (order kept), with an empty list for a team without rows."""
    grouped: dict[str, list] = {team_id: [] for team_id in team_ids}
    for row in rows:
        grouped[row.team_id].append(row)
    return grouped

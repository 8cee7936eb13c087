"""Registry operations shared by the CLI, the web view and the DAG: one implementation of
validation, encryption and auditing, for every provider."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from finops import paths, timings
from finops.hooks.kms import admin_key_context
from finops.providers import ANTHROPIC, OPENAI, PROVIDERS
from finops.providers import provider as provider_spec
from finops.registry import admin_keys
from finops.registry.errors import (
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
MAX_NAME = 200


def check_team_id(team_id: str) -> str:
    if not TEAM_ID.match(team_id or ""):
        raise InvalidTeamId(
            "A team id is 1 to 63 lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit "
            f"(got {team_id[:70]!r})."
        )
    return team_id


def check_project_id(project_id: str, provider_name: str = OPENAI) -> str:
    """A project ID (OpenAI) or workspace ID (Anthropic) of the right shape; the rule is the provider's."""
    return provider_spec(provider_name).check_scope_id(project_id)


def _label(provider_name: str) -> str:
    """A provider's name before "Admin key" in messages: none for OpenAI (as before providers), else its label."""
    return "" if provider_name == OPENAI else f"{PROVIDERS[provider_name].label} "


def _option(provider_name: str) -> str:
    """The CLI option naming a provider other than the default (empty for OpenAI)."""
    return "" if provider_name == OPENAI else f" --provider {provider_name}"


class Registry:
    """Teams, Admin keys and scopes (project or workspace IDs) per provider; KMS and the APIs created on demand."""

    def __init__(self, conn_id: str = FINOPS_DB_CONN_ID, kms: Any = None, api: Any = None,
                 anthropic_api: Any = None) -> None:
        self.conn_id = conn_id
        self._kms = kms
        self._api = api
        self._anthropic_api = anthropic_api

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

    @property
    def anthropic_api(self):
        if self._anthropic_api is None:
            from finops.costs.anthropic import AnthropicClient

            self._anthropic_api = AnthropicClient()
        return self._anthropic_api

    def client(self, provider_name: str = OPENAI):
        """The API client of a provider: ``api`` (OpenAI) or ``anthropic_api``."""
        return self.anthropic_api if provider_spec(provider_name).name == ANTHROPIC else self.api

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
               fingerprint: str | None = None, detail: str | None = None, provider: str | None = None) -> None:
        conn.execute(paths.sql("registry/audit_insert"), {
            "actor": actor, "action": action, "team_id": team_id, "provider": provider, "fingerprint": fingerprint,
            "detail": detail,
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
    def register_key(self, team_id: str, raw_key: str, actor: str, verify: bool = True, *,
                     provider: str = OPENAI) -> KeyRegistration:
        """Check, optionally verify live, encrypt and store a provider's key; an active one is rotated.

        Everything that can fail (format, the live check, KMS) happens before the transaction, so
        a failed registration leaves the previous active key in place. At most one key per team and
        provider is active; the other provider's key is not touched.
        """
        spec = provider_spec(provider)
        key = admin_keys.clean_key_input(raw_key, spec.name)
        with connect(self.conn_id) as conn:
            self._team(conn, team_id)
        if verify:
            self.client(spec.name).verify_key(key)
        ciphertext = self.kms.encrypt(key, admin_key_context(team_id, spec.name))
        params = {
            "team_id": team_id, "provider": spec.name, "ciphertext": ciphertext, "kms_key_id": self.kms.key_id,
            "redacted": admin_keys.redact(key, spec.name), "fingerprint": admin_keys.fingerprint(key),
            "actor": actor, "verified": verify,
        }
        del key
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, lock=True)
            retired = self._rows(conn, "key_retire_active", AdminKeyInfo, team_id=team_id, provider=spec.name,
                                 status="rotated", actor=actor)
            stored = self._rows(conn, "key_insert", AdminKeyInfo, **params)[0]
            rotated = retired[0] if retired else None
            detail = f"replaces {rotated.fingerprint}" if rotated else None
            self._audit(conn, actor, "key.rotate" if rotated else "key.register", team_id, stored.fingerprint, detail,
                        provider=spec.name)
            return KeyRegistration(key=stored, rotated=rotated, verified=verify)

    def revoke_key(self, team_id: str, actor: str, *, provider: str = OPENAI) -> AdminKeyInfo:
        """Delete a provider's active key's ciphertext and mark it revoked; its metadata stays for the audit."""
        spec = provider_spec(provider)
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, lock=True, active=False)
            retired = self._rows(conn, "key_retire_active", AdminKeyInfo, team_id=team_id, provider=spec.name,
                                 status="revoked", actor=actor)
            if not retired:
                raise NoActiveKey(f"Team {team_id} has no active {_label(spec.name)}Admin key to revoke.")
            self._audit(conn, actor, "key.revoke", team_id, retired[0].fingerprint, provider=spec.name)
            return retired[0]

    def active_key(self, team_id: str, provider: str = OPENAI) -> AdminKeyInfo | None:
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, active=False)
            rows = self._rows(conn, "key_active", AdminKeyInfo, team_id=team_id, provider=provider_spec(provider).name)
            return rows[0] if rows else None

    def key_history(self, team_id: str, provider: str | None = None) -> list[AdminKeyInfo]:
        """A team's keys, newest first: of one provider, or of all when ``provider`` is ``None``."""
        with connect(self.conn_id) as conn:
            return self._rows(conn, "key_history", AdminKeyInfo, team_id=team_id,
                              provider=provider_spec(provider).name if provider else None)

    def key_histories(self, team_ids: list[str]) -> dict[str, list[AdminKeyInfo]]:
        """``key_history`` of several teams (every provider) in one query (a page of the FinOps page)."""
        with connect(self.conn_id) as conn:
            rows = self._rows(conn, "key_histories", AdminKeyInfo, team_ids=list(team_ids))
        return _by_team(rows, team_ids)

    def team_providers(self, team_id: str) -> list[str]:
        """The providers a team has: a key (of any status) or a registered scope; OpenAI when it has none yet."""
        keys = {k.provider for k in self.key_history(team_id)}
        scopes = {p.provider for p in self.projects(team_id, provider=None)}
        found = [name for name in PROVIDERS if name in keys | scopes]
        return found or [OPENAI]

    def decrypt_key(self, team_id: str, provider: str = OPENAI, *, ciphertext: bytes | None = None) -> str:
        """The team's plaintext Admin key for a provider, for the task or request that uses it (masked in logs).

        ``ciphertext``: the one :meth:`key_ciphertext` read (a collection reads it on its kept connection).
        """
        spec = provider_spec(provider)
        blob = ciphertext if ciphertext is not None else self.key_ciphertext(team_id, spec.name)
        with timings.step("kms_decrypt"):
            return self.kms.decrypt(blob, admin_key_context(team_id, spec.name))

    def key_ciphertext(self, team_id: str, provider: str = OPENAI, *, conn: psycopg.Connection | None = None
                       ) -> bytes:
        """The ciphertext of the team's active Admin key (``conn``: on this open connection, else a new one)."""
        spec = provider_spec(provider)
        with _reuse(conn, self.conn_id) as conn:
            self._team(conn, team_id, active=False)
            row = conn.execute(paths.sql("registry/key_ciphertext"),
                               {"team_id": team_id, "provider": spec.name}).fetchone()
        if row is None:
            raise NoActiveKey(
                f"Team {team_id} has no active {_label(spec.name)}Admin key; register one with "
                f"`finops keys register {team_id}{_option(spec.name)}` or on the FinOps page."
            )
        return row[1]

    def mark_verified(self, team_id: str, provider: str = OPENAI) -> None:
        with connect(self.conn_id) as conn:
            self._execute(conn, "key_mark_verified", team_id=team_id, provider=provider_spec(provider).name)

    # -- projects (OpenAI project IDs, Anthropic workspace IDs) -------------------------------
    def add_project(self, team_id: str, project_id: str, actor: str, name: str | None = None,
                    verify: bool = True, *, provider: str = OPENAI) -> ProjectRegistration:
        """Register a scope (OpenAI project ID, Anthropic workspace ID or ``default``), checked live by default."""
        spec = provider_spec(provider)
        check_project_id(project_id, spec.name)
        noun = f"{spec.label} {spec.scope_noun.removesuffix(' ID')}"
        with connect(self.conn_id) as conn:
            self._team(conn, team_id)
            existing = [p for p in self._rows(conn, "project_list", Project, team_id=team_id, provider=spec.name,
                                              include_removed=False)
                        if p.project_id == project_id]
        if existing:
            raise ProjectAlreadyRegistered(f"The {noun} {project_id} is already registered for team {team_id}.")
        warnings: list[str] = []
        archived = False
        if verify:
            live = self._live_scope(team_id, spec.name, project_id)
            name = name or live.name
            archived = live.status == "archived"
            if archived:
                warnings.append(
                    f"The {noun} {project_id} is archived in {spec.label}: it incurs no new costs, but its past "
                    "costs are collected."
                )
        clean_name = name.strip()[:MAX_NAME] if name else None
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, lock=True)
            rows = self._rows(conn, "project_upsert", Project, team_id=team_id, provider=spec.name,
                              project_id=project_id, name=clean_name, archived=archived, verified=verify, actor=actor)
            if not rows:
                raise ProjectAlreadyRegistered(f"The {noun} {project_id} is already registered for team {team_id}.")
            self._audit(conn, actor, "project.add", team_id,
                        detail=f"{project_id}" + (f" ({clean_name})" if clean_name else ""), provider=spec.name)
            return ProjectRegistration(project=rows[0], warnings=tuple(warnings))

    def _live_scope(self, team_id: str, provider_name: str, scope_id: str):
        """The scope as the provider's API describes it (``name``, ``status``), with the team's key."""
        key = self.decrypt_key(team_id, provider_name)
        if provider_name == ANTHROPIC:
            return self.anthropic_api.workspace(key, scope_id)
        return self.api.project(key, scope_id)

    def remove_project(self, team_id: str, project_id: str, actor: str, *, provider: str = OPENAI) -> None:
        spec = provider_spec(provider)
        check_project_id(project_id, spec.name)
        with connect(self.conn_id) as conn:
            self._team(conn, team_id, lock=True, active=False)
            if not self._execute(conn, "project_remove", team_id=team_id, provider=spec.name, project_id=project_id,
                                 actor=actor):
                raise ProjectNotRegistered(
                    f"The {spec.label} {spec.scope_noun} {project_id} is not registered for team {team_id}; see "
                    f"`finops projects list {team_id}{_option(spec.name)}`.")
            self._audit(conn, actor, "project.remove", team_id, detail=project_id, provider=spec.name)

    def projects(self, team_id: str | None = None, include_removed: bool = False, *,
                 provider: str | None = OPENAI, conn: psycopg.Connection | None = None) -> list[Project]:
        """Registered scopes of one team (or all teams) for one provider (OpenAI by default; ``None``: every provider);
        ``conn``: on this open connection instead of a new one."""
        with _reuse(conn, self.conn_id) as conn:
            if team_id is not None:
                self._team(conn, team_id, active=False)
            return self._rows(conn, "project_list", Project, team_id=team_id, include_removed=include_removed,
                              provider=provider_spec(provider).name if provider else None)

    # -- audit -------------------------------------------------------------------------------
    def audit(self, team_id: str | None = None, limit: int = 50) -> list[AuditEntry]:
        with connect(self.conn_id) as conn:
            return self._rows(conn, "audit_list", AuditEntry, team_id=team_id, limit=limit)

    def recent_audit(self, team_ids: list[str], limit: int) -> dict[str, list[AuditEntry]]:
        """The latest ``limit`` audit entries of each team, in one query."""
        with connect(self.conn_id) as conn:
            rows = self._rows(conn, "audit_recent", AuditEntry, team_ids=list(team_ids), limit=limit)
        return _by_team(rows, team_ids)


@contextmanager
def _reuse(conn: psycopg.Connection | None, conn_id: str) -> Iterator[psycopg.Connection]:
    """``conn`` as it is (its owner commits and closes it), else a new connection for the block."""
    if conn is not None:
        yield conn
        return
    with connect(conn_id) as new:
        yield new


def _by_team(rows: list, team_ids: list[str]) -> dict[str, list]:
    """Rows grouped by their ``team_id`` (order kept), with an empty list for a team without rows."""
    grouped: dict[str, list] = {team_id: [] for team_id in team_ids}
    for row in rows:
        grouped[row.team_id].append(row)
    return grouped

"""Registry records as small typed values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Team:
    team_id: str
    name: str
    active: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class AdminKeyInfo:
    """What is kept about a key for display: never the key itself."""

    key_id: int
    team_id: str
    provider: str
    redacted: str
    fingerprint: str
    status: str
    kms_key_id: str
    created_at: datetime
    created_by: str
    last_verified_at: datetime | None
    rotated_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None


@dataclass(frozen=True, slots=True)
class Project:
    """A registered scope: an OpenAI project ID or an Anthropic workspace ID (or ``default``)."""

    team_id: str
    provider: str
    project_id: str
    name: str | None
    active: bool
    archived: bool
    verified_at: datetime | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    audit_id: int
    at: datetime
    actor: str
    action: str
    team_id: str | None
    provider: str | None
    fingerprint: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class KeyRegistration:
    key: AdminKeyInfo
    rotated: AdminKeyInfo | None
    verified: bool


@dataclass(frozen=True, slots=True)
class ProjectRegistration:
    project: Project
    warnings: tuple[str, ...]

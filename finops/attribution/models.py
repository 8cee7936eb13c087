"""An API key as the providers list it, with its owner; only the provider's redacted form of the secret."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

#: A redacted form shows at most a few characters around a mask (``sk-proj-****abcd``, ``sk-ant-api03-R2D...igAA``).
_REDACTED = re.compile(r"^[A-Za-z0-9_-]{0,16}(\*+|\.\.\.)[A-Za-z0-9_-]{0,8}$")


def redacted_form(value: object) -> str | None:
    """``value`` if it is a redacted form of a key (a mask and few characters), else None: a full key is never kept."""
    if not isinstance(value, str) or not _REDACTED.match(value):
        return None
    return value


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One project or workspace API key of a team; ``project_id`` is the project, the workspace or ``default``."""

    api_key_id: str
    project_id: str
    name: str | None
    redacted_value: str | None
    owner_type: str | None
    owner_id: str | None
    owner_name: str | None
    owner_email: str | None
    status: str
    created_at: datetime | None
    last_used_at: datetime | None

    @property
    def owner(self) -> str | None:
        """The owner as reports name it: a user's email, a service account's name."""
        return self.owner_email or self.owner_name

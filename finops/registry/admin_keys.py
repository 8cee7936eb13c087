"""Admin key text: format checks, the redacted form and the fingerprint. Nothing here stores a key."""

from __future__ import annotations

import hashlib
import re

from finops.registry.errors import InvalidAdminKey

PREFIX = "sk-admin-"
MIN_LENGTH = 24
MAX_LENGTH = 512
_BODY = re.compile(r"^[A-Za-z0-9_\-]+$")
# Anything that looks like an OpenAI secret key (admin, project, service account, legacy).
LOOKS_LIKE_KEY = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")


def clean_key_input(raw: str) -> str:
    """Strip one trailing newline (files and pipes end with one) and check the format."""
    key = raw[:-2] if raw.endswith("\r\n") else raw[:-1] if raw.endswith("\n") else raw
    if not key.strip():
        raise InvalidAdminKey("No Admin key was given; pass it with --key-file PATH or on standard input.")
    if any(ch.isspace() for ch in key):
        where = "around it" if key != key.strip() else "inside it"
        raise InvalidAdminKey(
            f"The Admin key has whitespace {where} (a line break or space from copying); paste it again as one line."
        )
    if key.startswith(("sk-proj-", "sk-svcacct-")) or (key.startswith("sk-") and not key.startswith(PREFIX)):
        raise InvalidAdminKey(
            "This is a project or service-account key, not an Admin key; the Costs API needs an organization "
            "Admin key (sk-admin-...) created under Organization settings > Admin keys."
        )
    if not key.startswith(PREFIX):
        raise InvalidAdminKey("An OpenAI Admin key starts with `sk-admin-`; check that you copied the whole key.")
    if not (MIN_LENGTH <= len(key) <= MAX_LENGTH):
        raise InvalidAdminKey(
            f"The Admin key is {len(key)} characters long, outside {MIN_LENGTH}..{MAX_LENGTH}; check that you copied the whole key."
        )
    if not _BODY.match(key[len(PREFIX):]):
        raise InvalidAdminKey(
            "The Admin key contains characters other than letters, digits, `-` and `_`; check that you copied it exactly."
        )
    return key


def redact(key: str) -> str:
    """The display form: ``sk-admin...abcd``."""
    return f"sk-admin...{key[-4:]}"


def fingerprint(key: str) -> str:
    """A short SHA-256 prefix, so two registrations of the same key can be recognised."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:16]

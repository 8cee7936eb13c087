"""Admin key text: format checks per provider, the redacted form and the fingerprint. Nothing here stores a key."""

from __future__ import annotations

import hashlib
import re

from finops.providers import ANTHROPIC, OPENAI, provider
from finops.redaction import LOOKS_LIKE_KEY
from finops.registry.errors import InvalidAdminKey

__all__ = ["LOOKS_LIKE_KEY", "MAX_LENGTH", "MIN_LENGTH", "PREFIX", "clean_key_input", "fingerprint", "redact"]

PREFIX = "sk-admin-"
MIN_LENGTH = 24
MAX_LENGTH = 512
_BODY = re.compile(r"^[A-Za-z0-9_\-]+$")
_ANTHROPIC_PREFIX = "sk-ant-"


def _wrong_kind(key: str, wanted: str) -> str | None:
    """Why ``key`` is not an Admin key of provider ``wanted`` when its prefix says so, else ``None``."""
    if key.startswith(_ANTHROPIC_PREFIX):
        if key.startswith("sk-ant-admin"):
            return None if wanted == ANTHROPIC else (
                "This is an Anthropic Admin key, not an OpenAI one; register it with `--provider anthropic` "
                "(or under Anthropic on the FinOps page).")
        return ("This is an Anthropic API key, not an Admin key; the cost report needs an organization Admin key "
                "(sk-ant-admin...) created under Settings > Admin keys in the Anthropic Console.")
    if key.startswith(PREFIX):
        return None if wanted == OPENAI else (
            "This is an OpenAI Admin key, not an Anthropic one; register it without `--provider anthropic` "
            "(or under OpenAI on the FinOps page).")
    if key.startswith("sk-"):
        if wanted == ANTHROPIC:
            return ("This is an OpenAI key, not an Anthropic Admin key; create an Admin key (sk-ant-admin...) under "
                    "Settings > Admin keys in the Anthropic Console.")
        return ("This is a project or service-account key, not an Admin key; the Costs API needs an organization "
                "Admin key (sk-admin-...) created under Organization settings > Admin keys.")
    return None


def clean_key_input(raw: str, provider_name: str = OPENAI) -> str:
    """Strip one trailing newline (files and pipes end with one) and check the provider's key format."""
    spec = provider(provider_name)
    key = raw[:-2] if raw.endswith("\r\n") else raw[:-1] if raw.endswith("\n") else raw
    if not key.strip():
        raise InvalidAdminKey("No Admin key was given; pass it with --key-file PATH or on standard input.")
    if any(ch.isspace() for ch in key):
        where = "around it" if key != key.strip() else "inside it"
        raise InvalidAdminKey(
            f"The Admin key has whitespace {where} (a line break or space from copying); paste it again as one line."
        )
    wrong = _wrong_kind(key, spec.name)
    if wrong:
        raise InvalidAdminKey(wrong)
    if not key.startswith(spec.key_prefix):
        raise InvalidAdminKey(
            f"An {spec.label} Admin key starts with `{spec.key_prefix}`; check that you copied the whole key."
        )
    if not (MIN_LENGTH <= len(key) <= MAX_LENGTH):
        raise InvalidAdminKey(
            f"The Admin key is {len(key)} characters long, outside {MIN_LENGTH}..{MAX_LENGTH}; check that you copied the whole key."
        )
    if not _BODY.match(key[len(spec.key_prefix):]):
        raise InvalidAdminKey(
            "The Admin key contains characters other than letters, digits, `-` and `_`; check that you copied it exactly."
        )
    return key


def redact(key: str, provider_name: str = OPENAI) -> str:
    """The display form: ``sk-admin...abcd`` (OpenAI) or ``sk-ant-admin...abcd`` (Anthropic)."""
    return f"{provider(provider_name).key_prefix.rstrip('-')}...{key[-4:]}"


def fingerprint(key: str) -> str:
    """A short SHA-256 prefix, so two registrations of the same key can be recognised."""
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:16]

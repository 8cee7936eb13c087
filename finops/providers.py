"""The AI providers whose costs are collected, and the rules that differ between them.

One definition of each provider's public names (connection, pool), its Admin key prefix and its
scope IDs (OpenAI project IDs, Anthropic workspace IDs): the registry, the clients, the command line,
the page and the checks all read them here. The warehouse enforces the same scope rules
(``projects_project_id_format`` in migration 0003).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from finops.errors import UsageError

OPENAI = "openai"
ANTHROPIC = "anthropic"
DEFAULT_PROVIDER = OPENAI

#: The Anthropic default workspace: the cost report's null ``workspace_id``, registered under this name.
DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True, slots=True)
class Provider:
    """What is specific to one provider, in the user's words."""

    name: str
    label: str
    conn_id: str
    pool: str
    default_base_url: str
    status_page: str
    key_prefix: str
    key_console: str
    scope_noun: str
    scope_example: str
    scope_pattern: re.Pattern[str]
    scope_help: str
    extra_scopes: frozenset[str] = frozenset()

    def is_scope_id(self, scope_id: str) -> bool:
        """Whether ``scope_id`` has the shape of this provider's scope IDs."""
        return scope_id in self.extra_scopes or bool(self.scope_pattern.fullmatch(scope_id or ""))

    def check_scope_id(self, scope_id: str) -> str:
        """``scope_id`` if it has the right shape; otherwise one sentence saying what one looks like."""
        from finops.registry.errors import InvalidProjectId

        if not self.is_scope_id(scope_id):
            raise InvalidProjectId(f"{self.scope_help} (got {str(scope_id)[:80]!r}).")
        return scope_id


PROVIDERS: dict[str, Provider] = {
    OPENAI: Provider(
        name=OPENAI,
        label="OpenAI",
        conn_id="openai_api",
        pool="openai_api",
        default_base_url="https://api.openai.com",
        status_page="https://status.openai.com",
        key_prefix="sk-admin-",
        key_console="Organization settings > Admin keys in the OpenAI dashboard",
        scope_noun="project ID",
        scope_example="proj_...",
        scope_pattern=re.compile(r"proj_[A-Za-z0-9_-]{1,64}"),
        scope_help="An OpenAI project id looks like `proj_` followed by letters and digits; copy it from the "
                   "project's settings page",
    ),
    ANTHROPIC: Provider(
        name=ANTHROPIC,
        label="Anthropic",
        conn_id="anthropic_api",
        pool="anthropic_api",
        default_base_url="https://api.anthropic.com",
        status_page="https://status.anthropic.com",
        key_prefix="sk-ant-admin",
        key_console="Settings > Admin keys in the Anthropic Console (organization admins only)",
        scope_noun="workspace ID",
        scope_example="wrkspc_... or default",
        scope_pattern=re.compile(r"wrkspc_[A-Za-z0-9_-]{1,64}"),
        scope_help="An Anthropic workspace id looks like `wrkspc_` followed by letters and digits (copy it from "
                   "Settings > Workspaces in the Console), or is `default` for the default workspace",
        extra_scopes=frozenset({DEFAULT_WORKSPACE}),
    ),
}


def provider(name: str | None) -> Provider:
    """The provider called ``name`` (``None`` is OpenAI); an unknown name is a usage error."""
    key = (name or DEFAULT_PROVIDER).strip().lower()
    try:
        return PROVIDERS[key]
    except KeyError:
        raise UsageError(
            f"{str(name)[:40]!r} is not a provider; use one of {', '.join(PROVIDERS)}."
        ) from None

"""The simulator's configuration: OpenAI and Anthropic organizations, their Admin keys, projects or
workspaces, data seed and fault knobs."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import string
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

KEY_PREFIX = "sk-admin-"
ANTHROPIC_KEY_PREFIX = "sk-ant-admin01-"
ANTHROPIC_API_KEY_PREFIX = "sk-ant-api03-"
DEFAULT_LINE_ITEMS: dict[str, tuple[float, str]] = {
    # line item -> (price per unit in USD, quantity unit)
    "gpt-4o-2024-08-06, input": (2.5e-06, "tokens"),
    "gpt-4o-2024-08-06, output": (1e-05, "tokens"),
    "gpt-4o-mini-2024-07-18, input": (1.5e-07, "tokens"),
    "gpt-4o-mini-2024-07-18, output": (6e-07, "tokens"),
    "text-embedding-3-small": (2e-08, "tokens"),
    "assistants api | file search": (0.1, "gigabyte_days"),
    "evals | gpt-4o-mini-2024-07-18, input": (1.5e-07, "tokens"),
    "whisper-1": (0.0001, "duration_seconds"),
    "dall-e-3": (0.04, "images"),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdminKey(_Model):
    """An Admin key of the organization; ``revoked`` answers 401, ``no_scope`` answers 403."""

    key: str = Field(min_length=8)
    status: Literal["active", "revoked", "no_scope"] = "active"


class ProjectConfig(_Model):
    """A project of the organization; every project gets synthetic daily costs."""

    id: str = Field(pattern=r"^proj_[A-Za-z0-9]+$")
    name: str
    status: Literal["active", "archived"] = "active"
    created_at: int = 1704067200
    archived_at: int | None = None


class Faults(_Model):
    """Fault knobs; every decision is a hash of (seed, request, attempt), so runs repeat exactly."""

    rate_429: float = Field(0.0, ge=0, le=1)
    retry_after_seconds: float = Field(1.0, ge=0)
    rate_5xx: float = Field(0.0, ge=0, le=1)
    #: At most this many faults in a row for one request, so a retrying client always finishes.
    max_consecutive_faults: int = Field(2, ge=0)
    latency_ms: int = Field(0, ge=0)
    string_amounts: bool = False
    null_project_share: float = Field(0.0, ge=0, le=1)
    #: Anthropic only: share of requests answered 529 ``overloaded_error``.
    rate_529: float = Field(0.0, ge=0, le=1)
    #: Anthropic only: fields the contract does not know, on pages and results (new fields appear without notice).
    unknown_fields: bool = False

    @model_validator(mode="after")
    def _rates(self) -> Faults:
        if self.rate_429 + self.rate_5xx + self.rate_529 > 1:
            raise ValueError("rate_429 + rate_5xx + rate_529 must be at most 1")
        return self


class Organization(_Model):
    """An OpenAI organization: keys, projects, the seed of its synthetic costs and its faults."""

    id: str = Field(pattern=r"^org-[A-Za-z0-9]+$")
    name: str = ""
    seed: int = 0
    keys: list[AdminKey] = Field(default_factory=list)
    projects: list[ProjectConfig] = Field(default_factory=list)
    #: Share of (project, day) pairs with no spend at all; those days have empty results.
    zero_day_share: float = Field(0.15, ge=0, le=1)
    #: Line items to draw from (default: a realistic mix); each is priced per unit.
    line_items: list[str] | None = None
    faults: Faults = Field(default_factory=Faults)


class AnthropicKey(_Model):
    """A key of an Anthropic organization: ``revoked`` answers 401, a normal ``api_key`` (sk-ant-api...) 403."""

    key: str = Field(min_length=8)
    status: Literal["active", "revoked", "api_key"] = "active"


class WorkspaceConfig(_Model):
    """An Anthropic workspace; every workspace gets synthetic daily costs."""

    id: str = Field(pattern=r"^wrkspc_[A-Za-z0-9]+$")
    name: str
    created_at: str = "2024-01-01T00:00:00Z"
    archived_at: str | None = None


class AnthropicOrganization(_Model):
    """An Anthropic organization: keys, workspaces (and the default one), the seed of its costs and its faults."""

    id: str = Field(pattern=r"^[A-Za-z0-9-]+$")
    name: str = ""
    seed: int = 0
    keys: list[AnthropicKey] = Field(default_factory=list)
    workspaces: list[WorkspaceConfig] = Field(default_factory=list)
    #: Whether the default workspace (a null ``workspace_id`` in reports) has spend.
    default_workspace: bool = True
    #: Share of (workspace, day) pairs with no spend.
    zero_day_share: float = Field(0.15, ge=0, le=1)
    #: Share of days with no spend in the whole organization (buckets with ``results: []``).
    empty_day_share: float = Field(0.1, ge=0, le=1)
    #: Cost descriptions to draw from (default: every one in the catalogue, tokens and non-token costs).
    descriptions: list[str] | None = None
    faults: Faults = Field(default_factory=Faults)


class SimulatorConfig(_Model):
    """The whole simulator configuration (YAML on disk)."""

    organizations: list[Organization]
    anthropic_organizations: list[AnthropicOrganization] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> SimulatorConfig:
        ids = [o.id for o in self.organizations] + [o.id for o in self.anthropic_organizations]
        if len(ids) != len(set(ids)):
            raise ValueError("organization ids must be unique")
        keys = [k.key for o in self.organizations for k in o.keys]
        keys += [k.key for o in self.anthropic_organizations for k in o.keys]
        if len(keys) != len(set(keys)):
            raise ValueError("an Admin key may belong to one organization only")
        return self

    def anthropic_organization(self, org_id: str) -> AnthropicOrganization:
        """The Anthropic organization with this id (KeyError if none)."""
        for org in self.anthropic_organizations:
            if org.id == org_id:
                return org
        raise KeyError(org_id)

    def organization(self, org_id: str) -> Organization:
        """The organization with this id (KeyError if none)."""
        for org in self.organizations:
            if org.id == org_id:
                return org
        raise KeyError(org_id)

    def with_faults(self, **overrides: object) -> SimulatorConfig:
        """A copy with the given fault knobs set on every organization (the command line's overrides)."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        if not changes:
            return self

        def apply(org):
            knobs = {**org.faults.model_dump(), **changes}
            if "rate_529" not in changes:  # overridden 429/5xx rates win over an organization's own 529 rate
                knobs["rate_529"] = max(0.0, min(knobs["rate_529"], 1 - knobs["rate_429"] - knobs["rate_5xx"]))
            return org.model_copy(update={"faults": Faults.model_validate(knobs)})

        return SimulatorConfig(organizations=[apply(o) for o in self.organizations],
                               anthropic_organizations=[apply(o) for o in self.anthropic_organizations])


def load_config(path: str | os.PathLike) -> SimulatorConfig:
    """Read a YAML (or JSON) configuration file."""
    import yaml

    return SimulatorConfig.model_validate(yaml.safe_load(Path(path).read_text()))


def write_config(config: SimulatorConfig, path: str | os.PathLike) -> Path:
    """Write the configuration as YAML, readable only by its owner (it holds keys)."""
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(config.model_dump(mode="json"), fh, sort_keys=False)
    os.chmod(path, 0o600)
    return path


def random_key() -> str:
    """A fresh random key shaped like an OpenAI Admin key."""
    alphabet = string.ascii_letters + string.digits
    return KEY_PREFIX + "".join(secrets.choice(alphabet) for _ in range(48))


def random_anthropic_key(prefix: str = ANTHROPIC_KEY_PREFIX) -> str:
    """A fresh random key shaped like an Anthropic Admin key (or, with the API prefix, a normal API key)."""
    alphabet = string.ascii_letters + string.digits + "-_"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(86)) + "AA"


def stable_id(prefix: str, name: str, length: int = 24) -> str:
    """A deterministic OpenAI-looking id (``org-...``, ``proj_...``) derived from a name."""
    alphabet = string.ascii_letters + string.digits
    number = int.from_bytes(hashlib.sha256(name.encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, rest = divmod(number, len(alphabet))
        chars.append(alphabet[rest])
    return prefix + "".join(chars)


#: The demo's organizations: name -> (seed, project names, fault knobs).
DEMO_ORGANIZATIONS: dict[str, tuple[int, tuple[str, ...], dict]] = {
    "growth": (101, ("Growth Web", "Growth Experiments", "Lifecycle Emails"), {}),
    "search": (202, ("Search Ranking", "Query Understanding"), {"null_project_share": 0.2}),
    "platform": (303, ("Platform Agents", "Internal Tools"), {"rate_429": 0.3, "retry_after_seconds": 1}),
}


#: The demo's Anthropic organizations: team name -> (seed, workspace names, fault knobs); their keys are
#: ``anthropic:<name>`` in the keys file. ``growth`` spends on both providers.
DEMO_ANTHROPIC_ORGANIZATIONS: dict[str, tuple[int, tuple[str, ...], dict]] = {
    "growth": (404, ("Growth Assistants", "Growth Research"), {"rate_429": 0.2, "rate_529": 0.1,
                                                               "retry_after_seconds": 1, "unknown_fields": True}),
}


def anthropic_key_name(name: str) -> str:
    """The keys file's entry of an Anthropic demo organization."""
    return f"anthropic:{name}"


def demo_config(keys: dict[str, str]) -> SimulatorConfig:
    """The demo's OpenAI organizations (growth, search, platform) and Anthropic one (growth), keys from ``keys``."""
    orgs = []
    for name, (seed, project_names, faults) in DEMO_ORGANIZATIONS.items():
        orgs.append(Organization(
            id=stable_id("org-", f"demo/{name}"),
            name=name,
            seed=seed,
            keys=[AdminKey(key=keys[name])] if name in keys else [],
            projects=[ProjectConfig(id=stable_id("proj_", f"demo/{name}/{p}"), name=p) for p in project_names],
            faults=Faults(**faults),
        ))
    anthropic = []
    for name, (seed, workspace_names, faults) in DEMO_ANTHROPIC_ORGANIZATIONS.items():
        key = keys.get(anthropic_key_name(name))
        anthropic.append(AnthropicOrganization(
            id=stable_id("", f"demo/anthropic/{name}", 32).lower(),
            name=name,
            seed=seed,
            keys=[AnthropicKey(key=key)] if key else [],
            workspaces=[WorkspaceConfig(id=stable_id("wrkspc_", f"demo/anthropic/{name}/{w}"), name=w)
                        for w in workspace_names],
            faults=Faults(**faults),
        ))
    return SimulatorConfig(organizations=orgs, anthropic_organizations=anthropic)


def default_keys_file() -> Path:
    """Where ``finops simulator`` keeps the demo's keys: FINOPS_SIMULATOR_KEYS_FILE, else under .local."""
    if os.environ.get("FINOPS_SIMULATOR_KEYS_FILE"):
        return Path(os.environ["FINOPS_SIMULATOR_KEYS_FILE"])
    return Path(os.environ.get("FINOPS_LOCAL_DIR", ".local")).absolute() / "simulator" / "admin-keys.json"


def demo_keys(path: str | os.PathLike | None = None) -> tuple[dict[str, str], Path, bool]:
    """The demo keys from the keys file, created (0600, fresh random keys) if missing; True if created."""
    path = Path(path) if path else default_keys_file()
    wanted = {name: random_key for name in DEMO_ORGANIZATIONS}
    wanted.update({anthropic_key_name(name): random_anthropic_key for name in DEMO_ANTHROPIC_ORGANIZATIONS})
    keys = json.loads(path.read_text()) if path.exists() else {}
    missing = set(wanted) - set(keys)
    if path.exists() and not missing:
        return keys, path, False
    keys.update({name: wanted[name]() for name in missing})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(keys, fh, indent=2)
    os.chmod(path, 0o600)
    return keys, path, True

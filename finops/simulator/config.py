"""The simulator's configuration: OpenAI and Anthropic organizations, their Admin keys, projects or
workspaces, data seed and fault knobs."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import string
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

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
#: Line items an organization may list besides the default mix (priced like them; not drawn by default).
EXTRA_LINE_ITEMS: dict[str, tuple[float, str]] = {
    "gpt-4o-2024-08-06, cached input": (1.25e-06, "tokens"),
    "gpt-4o-mini-2024-07-18, cached input": (7.5e-08, "tokens"),
    "batch | gpt-4o-mini-2024-07-18, input": (7.5e-08, "tokens"),
    "batch | gpt-4o-mini-2024-07-18, output": (3e-07, "tokens"),
    "web search tool calls": (0.01, "web_search_calls"),
    "file search tool calls": (0.0025, "file_search_calls"),
}


class _Model(BaseModel):
    #: Frozen: the simulator memoises its generation per configuration object (finops.simulator.memo).
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdminKey(_Model):
    """An Admin key of the organization; ``revoked`` answers 401, ``no_scope`` answers 403."""

    key: str = Field(min_length=8)
    status: Literal["active", "revoked", "no_scope"] = "active"


class ApiKeyConfig(_Model):
    """A project's (OpenAI) or workspace's (Anthropic) API key, with its owner; it spends a share of its scope's costs.

    ``scope`` is the project ID, the workspace ID or ``default``. ``weight`` is its share among the scope's
    keys; on a ``spike_days`` day its weight is multiplied by ``spike_factor``. From ``deleted_on`` it spends
    nothing, OpenAI stops listing it and Anthropic lists it as ``archived``.
    """

    id: str = Field(pattern=r"^(key_|apikey_)[A-Za-z0-9]+$")
    name: str
    scope: str
    owner_type: Literal["user", "service_account"] = "user"
    owner_id: str = ""
    owner_name: str = ""
    owner_email: str | None = None
    weight: int = Field(10, ge=1)
    created_on: date = date(2024, 1, 1)
    deleted_on: date | None = None
    spike_days: list[date] = Field(default_factory=list)
    spike_factor: int = Field(20, ge=1)

    def active_on(self, day: date) -> bool:
        """Whether the key exists (and may spend) on ``day``."""
        return self.created_on <= day and (self.deleted_on is None or day < self.deleted_on)

    def weight_on(self, day: date) -> int:
        """The key's weight among its scope's keys on ``day`` (0 when it does not exist)."""
        if not self.active_on(day):
            return 0
        return self.weight * (self.spike_factor if day in self.spike_days else 1)


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


class UsageKnobs(_Model):
    """The usage endpoints' knobs: a missing usage day and a mismatch against the costs (to try the reconciliation)."""

    #: Days the usage endpoints answer with empty buckets while the costs endpoint still has the day's costs.
    missing_days: list[date] = Field(default_factory=list)
    #: Days whose output tokens (OpenAI: the first completions result; Anthropic: the first result) are served
    #: ``mismatch_tokens`` too high.
    mismatch_days: list[date] = Field(default_factory=list)
    mismatch_tokens: int = Field(1000, ge=1)
    #: Usage endpoints answered with a 500 (every attempt): a usage failure fails the team like a cost failure.
    failing: bool = False


SCENARIO_ORIGIN = date(2025, 1, 1)
ScenarioName = Literal["custom", "steady", "spikes", "ramp", "restated"]


def _preset(name: str, origin: date) -> dict[str, Any]:
    """The fields a named scenario sets (days counted from ``origin``); ``custom`` sets none."""
    steady = {"typical": 100.0, "weekend_factor": 0.4, "noise_sigma": 0.08}
    return {
        "custom": {},
        "steady": steady,
        "spikes": {**steady, "spike_factor": 4.0,
                   "spike_days": [origin + timedelta(days=n) for n in (45, 100, 163, 230, 301, 345)]},
        "ramp": {"typical": 40.0, "weekend_factor": 1.0, "noise_sigma": 0.03,
                 "ramp_start": origin + timedelta(days=31), "ramp_per_day": 0.02},
        "restated": {**steady, "restated_day": origin + timedelta(days=60), "restated_factor": 1.5},
    }[name]


class Scenario(_Model):
    """A deterministic daily spend story for one organization (budgets, forecasts, anomalies end to end).

    Give a name (``steady``, ``spikes``, ``ramp``, ``restated``) or a mapping with ``preset`` and any
    field to override; ``custom`` starts from the fields' defaults. The day's organization total is
    ``level x weekday factor x noise`` (or the level times a spike factor on a spike day), spread over
    the organization's projects or workspaces and line items in fixed shares (docs/simulator.md).
    """

    preset: ScenarioName = "custom"
    #: Day 0 of the growth and of the presets' day offsets.
    origin: date = SCENARIO_ORIGIN
    #: Spend of a weekday at the origin, in dollars.
    typical: float = Field(100.0, gt=0)
    #: A Saturday's and Sunday's spend relative to a weekday's.
    weekend_factor: float = Field(1.0, gt=0)
    #: Sigma of the day's log-normal noise (0: none).
    noise_sigma: float = Field(0.0, ge=0, le=2)
    #: Share of ordinary busy days, and the range of their factor.
    busy_share: float = Field(0.0, ge=0, le=1)
    busy_factors: tuple[float, float] = (1.2, 1.8)
    #: The level at ``origin + growth_days`` relative to the origin's (linear in between and beyond).
    growth: float = Field(1.0, gt=0)
    growth_days: int = Field(365, gt=0)
    #: A lasting level shift from this day on.
    shift_day: date | None = None
    shift_factor: float = Field(1.0, gt=0)
    #: A slow ramp: from ``ramp_start`` the level grows by ``ramp_per_day`` of itself a day (linear).
    ramp_start: date | None = None
    ramp_per_day: float = Field(0.0, ge=0)
    #: No spend before this day (a new team).
    start: date | None = None
    #: Injected spikes: these days cost ``spike_factor`` x the level, whatever the weekday.
    spike_days: list[date] = Field(default_factory=list)
    spike_factor: float = Field(4.0, gt=0)
    #: Random spikes besides: this share of days (from the 28th day after the start), ``spike_factors`` x the level.
    spike_share: float = Field(0.0, ge=0, le=1)
    spike_factors: tuple[float, float] = (3.0, 6.0)
    #: A restated day: from the organization's revision 1 on (``POST /_simulator/restate``) it costs
    #: ``restated_factor`` x what revision 0 served.
    restated_day: date | None = None
    restated_factor: float = Field(1.5, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: Any) -> Any:
        if isinstance(data, str):
            data = {"preset": data}
        if isinstance(data, dict) and data.get("preset", "custom") != "custom":
            name = data["preset"]
            if name not in ScenarioName.__args__:
                return data  # the Literal names the choices
            origin = data.get("origin", SCENARIO_ORIGIN)
            origin = date.fromisoformat(origin) if isinstance(origin, str) else origin
            data = {**_preset(name, origin), **data}
        return data


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
    #: Line item -> the amount (a JSON number, noise and all: ``3.5000000000000004e-08``) every project is
    #: charged for it every day, instead of the random mix or the scenario (exact-money tests and demos).
    daily_amounts: dict[str, float] | None = None
    #: A spend story instead of the random mix: a name (``spikes``) or a mapping (see :class:`Scenario`).
    scenario: Scenario | None = None
    faults: Faults = Field(default_factory=Faults)
    usage: UsageKnobs = Field(default_factory=UsageKnobs)
    #: API keys per project (none: one key per project, ``api_key_id(project)``, as usage has always served).
    api_keys: list[ApiKeyConfig] = Field(default_factory=list)


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
    #: Description -> the amount in cents (a decimal string, served as written) every workspace, the default
    #: one included, is charged for it every day, instead of the random mix or the scenario.
    daily_amounts: dict[str, Decimal] | None = None
    #: A spend story instead of the random mix: a name (``spikes``) or a mapping (see :class:`Scenario`).
    scenario: Scenario | None = None
    faults: Faults = Field(default_factory=Faults)
    usage: UsageKnobs = Field(default_factory=UsageKnobs)
    #: API keys per workspace (``scope`` a workspace ID or ``default``); none: one key per workspace.
    api_keys: list[ApiKeyConfig] = Field(default_factory=list)


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
    """Read a YAML (or JSON) configuration file; a ``.json`` one is parsed as JSON directly (fast at bench sizes)."""
    path = Path(path)
    if path.suffix == ".json":
        return SimulatorConfig.model_validate_json(path.read_bytes())
    import yaml

    return SimulatorConfig.model_validate(yaml.safe_load(path.read_text()))


def write_config(config: SimulatorConfig, path: str | os.PathLike) -> Path:
    """Write the configuration as YAML (JSON if ``path`` ends in ``.json``), readable only by its owner (it holds keys)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        if path.suffix == ".json":
            fh.write(config.model_dump_json())
        else:
            import yaml

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

"""``validate-setup``: a checklist proving a team (or all) can be collected, with what to do for each failure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from finops.defaults import VARIABLE_DEFAULTS
from finops.errors import FinopsError
from finops.providers import OPENAI, PROVIDERS

__all__ = ["REQUIRED_CONNECTIONS", "VARIABLE_DEFAULTS", "Check", "Checklist", "check_environment", "check_team",
           "validate_setup"]

#: Connections every deployment needs; each provider's own connection is needed once a team uses it.
REQUIRED_CONNECTIONS = ("finops_db", "aws_kms", "openai_api")


@dataclass
class Check:
    scope: str
    name: str
    ok: bool
    detail: str
    warning: bool = False

    def line(self) -> str:
        mark = "ok  " if self.ok and not self.warning else "warn" if self.ok else "FAIL"
        return f"[{mark}] {self.scope}: {self.name}: {self.detail}"


@dataclass
class Checklist:
    checks: list[Check] = field(default_factory=list)

    def add(self, scope: str, name: str, ok: bool, detail: str, warning: bool = False) -> Check:
        check = Check(scope, name, ok, detail, warning)
        self.checks.append(check)
        return check

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def verdict(self) -> str:
        failed = sum(not c.ok for c in self.checks)
        warned = sum(c.ok and c.warning for c in self.checks)
        if failed:
            return f"FAILED: {failed} of {len(self.checks)} checks failed; fix them as each line says, then run again."
        return f"PASSED: {len(self.checks)} checks" + (f", {warned} warnings." if warned else ".")


def check_environment(checklist: Checklist, providers: Iterable[str] = (OPENAI,)) -> None:
    """The connections, variables, pools and schema the pipeline needs for the providers in use.

    A provider nobody uses yet only warns when its connection or pool is missing.
    """
    from finops.errors import ConfigurationError
    from finops.lookup import get_connection, get_variable

    in_use = set(providers) | {OPENAI}
    optional = [spec.conn_id for name, spec in PROVIDERS.items() if spec.conn_id not in REQUIRED_CONNECTIONS]
    for conn_id in (*REQUIRED_CONNECTIONS, *optional):
        needed = conn_id in REQUIRED_CONNECTIONS or any(
            PROVIDERS[name].conn_id == conn_id for name in in_use)
        try:
            get_connection(conn_id)
            checklist.add("airflow", f"connection {conn_id}", True, "defined")
        except ConfigurationError as exc:
            if needed:
                checklist.add("airflow", f"connection {conn_id}", False, str(exc))
            else:
                checklist.add("airflow", f"connection {conn_id}", True, f"not defined, needed once a team uses "
                              f"this provider; {exc}", warning=True)
    for name, default in VARIABLE_DEFAULTS.items():
        value = get_variable(name, None)
        checklist.add("airflow", f"variable {name}", True,
                      f"{value}" if value is not None else f"not set, default {default} applies")
    for name, spec in PROVIDERS.items():
        _check_pool(checklist, spec.pool, spec.label, needed=name in in_use)
    try:
        from finops.warehouse import migrate

        current, head = migrate.current(), migrate.head()
        checklist.add("warehouse", "schema", current == head,
                      f"at {current} (head)" if current == head else f"at {current or 'nothing'}, head is {head}; run `finops db upgrade`")
    except FinopsError as exc:
        checklist.add("warehouse", "schema", False, str(exc))


def _check_pool(checklist: Checklist, pool_name: str, label: str, *, needed: bool) -> None:
    try:
        from airflow.models import Pool

        pool = Pool.get_pool(pool_name)
    except Exception as exc:  # no metadata database reachable from here
        checklist.add("airflow", f"pool {pool_name}", True, f"not checked ({type(exc).__name__})", warning=True)
        return
    if pool is not None:
        checklist.add("airflow", f"pool {pool_name}", True, f"{pool.slots} slots")
    elif needed:
        checklist.add("airflow", f"pool {pool_name}", False, "missing; run `finops settings import` or create it "
                      f"(Admin > Pools) to cap concurrent calls to the {label} API")
    else:
        checklist.add("airflow", f"pool {pool_name}", True, "missing, needed once a team uses this provider; run "
                      "`finops settings import`", warning=True)


#: Per provider: the live call that proves a key, as the checklist names it.
_KEY_CALLS = {"openai": "GET /v1/organization/projects answered 200",
              "anthropic": "GET /v1/organizations/workspaces answered 200"}


def check_team(checklist: Checklist, registry, team_id: str, live: bool = True) -> None:
    """For every provider the team has: key present, decryptable and accepted; scopes registered and found live."""
    try:
        team = registry.team(team_id)
    except FinopsError as exc:
        checklist.add(team_id, "team", False, str(exc))
        return
    checklist.add(team_id, "team", team.active, "active" if team.active else
                  f"deactivated; reactivate with `finops teams add {team_id}`")
    for provider_name in registry.team_providers(team_id):
        check_team_provider(checklist, registry, team_id, provider_name, live=live)


def check_team_provider(checklist: Checklist, registry, team_id: str, provider_name: str, live: bool = True) -> None:
    """One provider of a team (OpenAI's lines keep their names; another provider's are prefixed with its label)."""
    from finops.costs.errors import AnthropicWorkspaceNotFound, OpenAIProjectNotFound

    spec = PROVIDERS[provider_name]
    prefix = "" if provider_name == OPENAI else f"{spec.label} "
    option = "" if provider_name == OPENAI else f" --provider {provider_name}"
    scope_word = spec.scope_noun.removesuffix(" ID")
    key = registry.active_key(team_id, provider_name)
    if key is None:
        checklist.add(team_id, f"{prefix}admin key", False,
                      f"no active key; register one with `finops keys register {team_id}{option}`")
    else:
        checklist.add(team_id, f"{prefix}admin key", True,
                      f"{key.redacted} ({key.fingerprint}), registered by {key.created_by}")
    scopes = registry.projects(team_id, provider=provider_name)
    checklist.add(team_id, f"{prefix}{scope_word} ids", bool(scopes),
                  f"{len(scopes)} registered" if scopes else
                  f"none registered; add them with `finops projects add {team_id} {spec.scope_example.split()[0]}{option}`")
    if key is None:
        return
    try:
        plaintext = registry.decrypt_key(team_id, provider_name)
        checklist.add(team_id, f"{prefix}key decrypts (KMS)", True, "decrypted with the team's encryption context")
    except FinopsError as exc:
        checklist.add(team_id, f"{prefix}key decrypts (KMS)", False,
                      f"{exc} (troubleshooting: check the KMS key policy)")
        return
    if not live:
        return
    client = registry.client(provider_name)
    try:
        client.verify_key(plaintext)
        registry.mark_verified(team_id, provider_name)
        checklist.add(team_id, f"key accepted by {spec.label}", True, _KEY_CALLS[provider_name])
    except FinopsError as exc:
        checklist.add(team_id, f"key accepted by {spec.label}", False, str(exc))
        return
    for scope in scopes:
        name = f"{scope_word} {scope.project_id}"
        try:
            found = (client.workspace(plaintext, scope.project_id) if provider_name != OPENAI
                     else client.project(plaintext, scope.project_id))
        except (OpenAIProjectNotFound, AnthropicWorkspaceNotFound):
            checklist.add(team_id, name, False, "not found in the key's organization; check the ID belongs to the "
                                                "organization of this Admin key")
            continue
        except FinopsError as exc:
            checklist.add(team_id, name, False, str(exc))
            continue
        archived = found.status == "archived"
        checklist.add(team_id, name, True, f"{found.name}" + (" (archived: no new costs expected)" if archived else ""),
                      warning=archived)


def validate_setup(team_id: str | None = None, registry=None, live: bool = True) -> Checklist:
    from finops.registry import Registry

    registry = registry or Registry()
    checklist = Checklist()
    team_ids: list[str] = []
    failure: str | None = None
    if team_id is not None:
        team_ids = [team_id]
    else:
        try:
            team_ids = [t.team_id for t in registry.teams()]
        except FinopsError as exc:
            failure = str(exc)
    providers: set[str] = set()
    for tid in team_ids:
        try:
            providers.update(registry.team_providers(tid))
        except FinopsError:
            pass  # the team's own checks say why
    check_environment(checklist, providers)
    if failure is not None:
        checklist.add("registry", "teams", False, failure)
        return checklist
    if not team_ids:
        checklist.add("registry", "teams", False, "no active team; add one with `finops teams add TEAM_ID`")
    for tid in team_ids:
        check_team(checklist, registry, tid, live=live)
    return checklist

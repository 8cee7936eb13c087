"""``validate-setup``: a checklist proving a team (or all) can be collected, with what to do for each failure."""

from __future__ import annotations

from dataclasses import dataclass, field

from finops.errors import FinopsError

REQUIRED_CONNECTIONS = ("finops_db", "aws_kms", "openai_api")
VARIABLE_DEFAULTS = {
    "finops_kms_key_id": "alias/finops-admin-keys",
    "finops_success_rate_threshold": "0.95",
    "finops_lookback_days": "2",
}


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


def check_environment(checklist: Checklist) -> None:
    """The connections, variables, pool and schema the pipeline needs."""
    from finops.errors import ConfigurationError
    from finops.lookup import get_connection, get_variable

    for conn_id in REQUIRED_CONNECTIONS:
        try:
            get_connection(conn_id)
            checklist.add("airflow", f"connection {conn_id}", True, "defined")
        except ConfigurationError as exc:
            checklist.add("airflow", f"connection {conn_id}", False, str(exc))
    for name, default in VARIABLE_DEFAULTS.items():
        value = get_variable(name, None)
        checklist.add("airflow", f"variable {name}", True,
                      f"{value}" if value is not None else f"not set, default {default} applies")
    try:
        from airflow.models import Pool

        pool = Pool.get_pool("openai_api")
        if pool is None:
            checklist.add("airflow", "pool openai_api", False,
                          "missing; run `finops settings import` or create it (Admin > Pools) to cap API concurrency")
        else:
            checklist.add("airflow", "pool openai_api", True, f"{pool.slots} slots")
    except Exception as exc:  # no metadata database reachable from here
        checklist.add("airflow", "pool openai_api", True, f"not checked ({type(exc).__name__})", warning=True)
    try:
        from finops.warehouse import migrate

        current, head = migrate.current(), migrate.head()
        checklist.add("warehouse", "schema", current == head,
                      f"at {current} (head)" if current == head else f"at {current or 'nothing'}, head is {head}; run `finops db upgrade`")
    except FinopsError as exc:
        checklist.add("warehouse", "schema", False, str(exc))


def check_team(checklist: Checklist, registry, team_id: str, live: bool = True) -> None:
    """Key present, decryptable and accepted; project IDs registered and found in the key's organization."""
    from finops.costs.errors import AdminKeyLacksScope, AdminKeyRejected, OpenAIProjectNotFound

    try:
        team = registry.team(team_id)
    except FinopsError as exc:
        checklist.add(team_id, "team", False, str(exc))
        return
    checklist.add(team_id, "team", team.active, "active" if team.active else
                  f"deactivated; reactivate with `finops teams add {team_id}`")
    key = registry.active_key(team_id)
    if key is None:
        checklist.add(team_id, "admin key", False, f"no active key; register one with `finops keys register {team_id}`")
    else:
        checklist.add(team_id, "admin key", True, f"{key.redacted} ({key.fingerprint}), registered by {key.created_by}")
    projects = registry.projects(team_id)
    checklist.add(team_id, "project ids", bool(projects),
                  f"{len(projects)} registered" if projects else
                  f"none registered; add them with `finops projects add {team_id} proj_...`")
    if key is None:
        return
    try:
        plaintext = registry.decrypt_key(team_id)
        checklist.add(team_id, "key decrypts (KMS)", True, "decrypted with the team's encryption context")
    except FinopsError as exc:
        checklist.add(team_id, "key decrypts (KMS)", False, f"{exc} (troubleshooting: check the KMS key policy)")
        return
    if not live:
        return
    try:
        registry.api.projects(plaintext, limit=1)
        registry.mark_verified(team_id)
        checklist.add(team_id, "key accepted by OpenAI", True, "GET /v1/organization/projects answered 200")
    except AdminKeyRejected as exc:
        checklist.add(team_id, "key accepted by OpenAI", False, str(exc))
        return
    except AdminKeyLacksScope as exc:
        checklist.add(team_id, "key accepted by OpenAI", False, str(exc))
        return
    except FinopsError as exc:
        checklist.add(team_id, "key accepted by OpenAI", False, str(exc))
        return
    for project in projects:
        try:
            live_project = registry.api.project(plaintext, project.project_id)
        except OpenAIProjectNotFound:
            checklist.add(team_id, f"project {project.project_id}", False,
                          "not found in the key's organization; check the ID belongs to the organization of this Admin key")
            continue
        except FinopsError as exc:
            checklist.add(team_id, f"project {project.project_id}", False, str(exc))
            continue
        archived = live_project.status == "archived"
        checklist.add(team_id, f"project {project.project_id}", True,
                      f"{live_project.name}" + (" (archived: no new costs expected)" if archived else ""), warning=archived)


def validate_setup(team_id: str | None = None, registry=None, live: bool = True) -> Checklist:
    from finops.registry import Registry

    registry = registry or Registry()
    checklist = Checklist()
    check_environment(checklist)
    if team_id is not None:
        team_ids = [team_id]
    else:
        try:
            team_ids = [t.team_id for t in registry.teams()]
        except FinopsError as exc:
            checklist.add("registry", "teams", False, str(exc))
            return checklist
        if not team_ids:
            checklist.add("registry", "teams", False, "no active team; add one with `finops teams add TEAM_ID`")
    for tid in team_ids:
        check_team(checklist, registry, tid, live=live)
    return checklist

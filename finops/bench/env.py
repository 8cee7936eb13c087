"""The services a benchmark needs: its own database, moto's KMS in-process, the simulator in a process of its own.

The simulator is a separate process (``python -m finops.simulator.server``) so that its CPU neither shares the
bench process's GIL with moto's KMS threads nor hides in the bench process's figures (issue 28).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from finops.defaults import DEFAULT_KMS_KEY_ID, DEFAULT_SUCCESS_RATE_THRESHOLD
from finops.simulator.config import (
    DEFAULT_LINE_ITEMS,
    AdminKey,
    AnthropicKey,
    AnthropicOrganization,
    ApiKeyConfig,
    Faults,
    Organization,
    ProjectConfig,
    SimulatorConfig,
    WorkspaceConfig,
    random_anthropic_key,
    random_key,
)

BENCH_DB = os.environ.get("FINOPS_BENCH_DB", "finops_bench")
KMS_ALIAS = DEFAULT_KMS_KEY_ID
ACTOR = "cli:bench"
PROJECTS_PER_TEAM = 10
LINE_ITEMS_PER_PROJECT = 30
WORKSPACES_PER_TEAM = 3  # and the default workspace: every description of the catalogue in each
#: Processes that compute the simulator's costs and usage pages (finops.simulator.server.serve): one per core, up
#: to 2, so that a team's year of per-key costs does not hold up every other request.
SIMULATOR_GENERATORS = min(2, os.cpu_count() or 1)
#: The ``openai_api`` connection's extra: no faults are configured, so retries never wait.
CONNECTION_EXTRA = {"connect_timeout": 5, "read_timeout": 120, "max_retries": 4, "backoff_base_seconds": 0.001,
                    "backoff_max_seconds": 0.01, "retry_after_max_seconds": 0, "max_retry_seconds": 60}


def line_items(count: int = LINE_ITEMS_PER_PROJECT) -> list[str]:
    """The simulator's default mix padded with priced-by-default model line items to ``count``."""
    items = list(DEFAULT_LINE_ITEMS)
    items += [f"bench-model-{n:02d}, {'input' if n % 2 else 'output'}" for n in range(count - len(items))]
    return items[:count]


def team_id(n: int) -> str:
    return f"bench{n:04d}"


def project_ids(n: int, count: int = PROJECTS_PER_TEAM) -> list[str]:
    return [f"proj_bench{n:04d}p{k:02d}" for k in range(count)]


def workspace_ids(n: int) -> list[str]:
    """The team's registered Anthropic scopes: its workspaces and ``default``."""
    return [f"wrkspc_bench{n:04d}w{k}" for k in range(WORKSPACES_PER_TEAM)] + ["default"]


def anthropic_organizations(teams: int, latency_ms: int) -> tuple[list[AnthropicOrganization], dict[str, str]]:
    """One Anthropic organization per team (3 workspaces and the default one); and team -> key."""
    keys = {team_id(n): random_anthropic_key() for n in range(teams)}
    orgs = [AnthropicOrganization(
        id=f"benchanth{n:04d}", name=team_id(n), seed=2000 + n, keys=[AnthropicKey(key=keys[team_id(n)])],
        workspaces=[WorkspaceConfig(id=w, name=w) for w in workspace_ids(n) if w != "default"],
        faults=Faults(latency_ms=latency_ms)) for n in range(teams)]
    return orgs, keys


def api_keys(n: int, per_project: int) -> list[ApiKeyConfig]:
    """``per_project`` API keys in each of team ``n``'s projects (none: the simulator's one key a project)."""
    return [ApiKeyConfig(id=f"key_bench{n:04d}p{p:02d}k{k:02d}", name=f"service {k}", scope=pid,
                         owner_type="service_account", owner_name=f"svc-{k}", weight=1 + k % 5)
            for p, pid in enumerate(project_ids(n)) for k in range(per_project)]


def simulator_config(teams: int, latency_ms: int, anthropic_teams: int = 0, keys_per_project: int = 0
                     ) -> tuple[SimulatorConfig, dict[str, str], dict[str, str]]:
    """One organization per team (10 projects, 30 line items each, ``keys_per_project`` API keys in each
    project), one Anthropic one for the first ``anthropic_teams``; returns the config, team -> OpenAI key and
    team -> Anthropic key."""
    keys = {team_id(n): random_key() for n in range(teams)}
    items = line_items()
    orgs = [
        Organization(
            id=f"org-bench{n:04d}", name=team_id(n), seed=1000 + n, keys=[AdminKey(key=keys[team_id(n)])],
            projects=[ProjectConfig(id=pid, name=pid) for pid in project_ids(n)], line_items=items,
            faults=Faults(latency_ms=latency_ms), api_keys=api_keys(n, keys_per_project),
        )
        for n in range(teams)
    ]
    anthropic, anthropic_keys = anthropic_organizations(anthropic_teams, latency_ms)
    return SimulatorConfig(organizations=orgs, anthropic_organizations=anthropic), keys, anthropic_keys


@dataclass
class BenchEnv:
    """PostgreSQL (database ``finops_bench``), moto's KMS and the simulator; ``close()`` stops what it started."""

    teams: int
    latency_ms: int
    home: Path
    anthropic_teams: int = 0
    #: API keys in each OpenAI project of the simulator (0: one key a project, the simulator's default).
    keys_per_project: int = 0
    #: Reuse the database of the previous run (the analytics case's warehouse) instead of creating it anew.
    keep_database: bool = False
    #: The simulator keeps the costs and usage pages it computes (``--warm-simulator``).
    cache_pages: bool = False
    pg_url: str = ""
    base_url: str = ""
    #: The simulator process's pid (finops.bench.explain reads its CPU time), 0 before ``start``.
    simulator_pid: int = 0
    keys: dict[str, str] = field(default_factory=dict)
    anthropic_keys: dict[str, str] = field(default_factory=dict)
    _stops: list[Callable[[], None]] = field(default_factory=list)

    def start(self, log: Callable[[str], None]) -> BenchEnv:
        from finops.bench import explain
        from finops.devenv import local

        cluster = local.cluster()
        if cluster.start(settings=explain.SERVER_SETTINGS):
            self._stops.append(cluster.stop)
        self._database(cluster)
        self._kms()
        config, self.keys, self.anthropic_keys = simulator_config(self.teams, self.latency_ms, self.anthropic_teams,
                                                                        self.keys_per_project)
        self._simulator(config)
        for name in ("AIRFLOW_CONN_OPENAI_API", "AIRFLOW_CONN_ANTHROPIC_API"):
            os.environ[name] = json.dumps({"conn_type": "http", "host": self.base_url, "extra": CONNECTION_EXTRA})
        os.environ["AIRFLOW_VAR_FINOPS_SUCCESS_RATE_THRESHOLD"] = str(DEFAULT_SUCCESS_RATE_THRESHOLD)
        started = time.perf_counter()
        self._register()
        log(f"services up: database {BENCH_DB}, KMS, simulator at {self.base_url} (pid {self.simulator_pid}, "
            f"{self.latency_ms} ms latency); "
            f"{self.keys_per_project or 1} API key(s) a project; {self.teams} teams registered in {time.perf_counter() - started:.1f} s")
        return self

    def _simulator(self, config: SimulatorConfig) -> None:
        """The simulator in its own process; its config (the organizations' keys) in a 0600 file under the home."""
        from finops.simulator.server import start_process

        self.home.mkdir(parents=True, exist_ok=True)
        process = start_process(config, self.home, python=self.python(), generators=SIMULATOR_GENERATORS,
                                cache_pages=self.cache_pages)
        self._stops.append(process.stop)
        self.base_url, self.simulator_pid = process.base_url, process.pid

    def page_cache(self) -> dict:
        """The simulator's kept pages and how often they were served (``cache_pages``), or {}."""
        from finops.simulator.server import health

        return (health(self.base_url, timeout=30) or {}).get("page_cache", {})

    def _database(self, cluster) -> None:
        import psycopg

        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone()
            if not (self.keep_database and exists):
                conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
        os.environ["AIRFLOW_CONN_FINOPS_DB"] = json.dumps({
            "conn_type": "postgres", "host": cluster.host, "port": cluster.port, "schema": BENCH_DB,
            "login": cluster.user, "password": cluster.password,
        })
        from finops.warehouse import migrate

        migrate.upgrade("head")
        self.pg_url = cluster.url(BENCH_DB)

    def _kms(self) -> None:
        from finops.devenv.kms import ensure_key
        from finops.devenv.moto import threaded_server_class

        server = threaded_server_class()(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        self._stops.append(server.stop)
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        os.environ["AIRFLOW_CONN_AWS_KMS"] = json.dumps({
            "conn_type": "aws", "login": "testing", "password": "testing",
            "extra": {"region_name": "us-east-1", "endpoint_url": endpoint},
        })
        os.environ["AIRFLOW_VAR_FINOPS_KMS_KEY_ID"] = KMS_ALIAS
        ensure_key(endpoint, KMS_ALIAS)

    def _register(self) -> None:
        """Teams through the registry (keys really encrypted by KMS), projects in one statement per team."""
        from finops.registry import Registry
        from finops.warehouse.db import connect

        registry = Registry()
        for n in range(self.teams):
            registry.add_team(team_id(n), ACTOR)
            registry.register_key(team_id(n), self.keys[team_id(n)], ACTOR, verify=False)
        # add_project (one audited transaction each) is exercised by the tests; here the rows are what counts.
        with connect() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO finops.projects (team_id, project_id, name, created_by) VALUES (%s, %s, %s, %s)",
                [(team_id(n), pid, pid, ACTOR) for n in range(self.teams) for pid in project_ids(n)],
            )
        for n in range(self.anthropic_teams):
            registry.register_key(team_id(n), self.anthropic_keys[team_id(n)], ACTOR, verify=False, provider="anthropic")
        with connect() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO finops.projects (team_id, project_id, name, created_by, provider) "
                "VALUES (%s, %s, %s, %s, 'anthropic')",
                [(team_id(n), w, w, ACTOR) for n in range(self.anthropic_teams) for w in workspace_ids(n)],
            )

    def team_ids(self, count: int) -> list[str]:
        return [team_id(n) for n in range(count)]

    def child_env(self) -> dict[str, str]:
        """The environment of ``airflow dags test`` and the limit scripts: same connections, own AIRFLOW_HOME."""
        root = Path(__file__).resolve().parents[2]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update({
            "AIRFLOW_HOME": str(self.home / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "PYTHONPATH": os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p),
        })
        return env

    def python(self) -> str:
        return sys.executable

    def close(self) -> None:
        while self._stops:
            stop = self._stops.pop()
            try:
                stop()
            except Exception as exc:  # keep stopping the rest
                print(f"warning: stopping a bench service failed: {exc}", file=sys.stderr)

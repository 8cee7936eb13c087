"""The project on Airflow's CeleryExecutor, without Docker: Redis, a Celery worker, the scheduler.

Starts its own stack on free ports (so it runs beside ``make up`` and other test sessions):
redis-server, the API server (the workers' Execution API), the dag-processor, the scheduler with
``CeleryExecutor`` and one ``airflow celery worker``, with Airflow's metadata in a fresh database of
the embedded PostgreSQL, and a webhook receiver as the ``finops_alerts`` connection. Two scenarios,
each a few DAG runs executed by the Celery worker process:

- ``airflow backfill create`` of three days;
- a triggered run that batches two teams, the asset-triggered ``finops_spend_alerts`` run that
  follows it, then an ``airflow tasks clear`` of the collection run: both teams are collected
  again, and the alerts run that follows sends nothing new.

Needs ``apache-airflow-providers-celery`` (in requirements.txt) and ``redis-server`` (Debian's
package; installed with apt-get when running as root and missing). Run alone with:
``pytest tests/e2e/test_celery_executor.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alert_receivers import WebhookReceiver

from finops.devenv.local import private_api_server_env
from finops.devenv.postgres import free_port
from finops.devenv.processes import Service, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TEST_DB = os.environ.get("FINOPS_TEST_DB", "finops_test")
METADATA_DB = f"{TEST_DB}_celery_airflow"
SPEND_ALERT_KINDS = ("budget_threshold", "budget_forecast", "spend_anomaly")
WORKER_MARK = "FINOPS_RUNS_IN_CELERY_WORKER"

def _ensure_redis() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "redis-server"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
        found = shutil.which("redis-server")
        if found:
            return found
        # As root (CI) the install is part of the setup: failing it fails the test, it does not skip it.
        pytest.fail("redis-server could not be installed with apt-get; check the package mirrors and run again.")
    pytest.skip("redis-server is missing and only root can install it: run the tests as root, or "
                "apt-get install redis-server.")


def _airflow(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    out = subprocess.run([str(BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).splitlines()[-25:])
        raise AssertionError(f"`airflow {' '.join(args)}` failed:\n{tail}")
    return out.stdout


def _log_tail(service: Service, lines: int = 40) -> str:
    if not service.log_file.exists():
        return f"({service.name}: no log)"
    return f"--- {service.name} ---\n" + "\n".join(service.log_file.read_text(errors="replace").splitlines()[-lines:])


class CeleryStack:
    def __init__(self, base: Path, env: dict[str, str], metadata_url: str) -> None:
        self.base, self.env, self.metadata_url = base, env, metadata_url
        self.services: list[Service] = []

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Service:
        service = Service(name, argv, self.base)
        service.start(env=env or self.env)
        self.services.append(service)
        return service

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop(timeout=20)

    def logs(self) -> str:
        return "\n".join(_log_tail(s) for s in self.services)

    def query(self, sql: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.metadata_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def wait_until_parsed(self, dag_id: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.query("SELECT 1 FROM serialized_dag WHERE dag_id = %s", dag_id):
                return
            self._check_alive()
            time.sleep(1)
        errors = self.query("SELECT filename, stacktrace FROM import_error")
        raise AssertionError(f"{dag_id} was not parsed within {timeout:.0f} s; import errors: {errors}\n{self.logs()}")

    def _check_alive(self) -> None:
        dead = [s.name for s in self.services if s.pid() is None]
        if dead:
            raise AssertionError(f"{', '.join(dead)} exited\n{self.logs()}")


@pytest.fixture(scope="module")
def webhook():
    """The ``finops_alerts`` webhook of the stack: a receiver on localhost."""
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def celery_stack(tmp_path_factory, pg_cluster, warehouse, kms_endpoint, simulator, webhook):
    import airflow.providers.celery  # noqa: F401 - pinned in requirements.txt; its absence is a failure

    redis_server = _ensure_redis()
    import psycopg

    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{METADATA_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{METADATA_DB}"')

    base = tmp_path_factory.mktemp("celery") / ".local"
    dags = base.parent / "dags"
    dags.mkdir()
    for dag_file in (ROOT / "dags").glob("*.py"):
        shutil.copy(dag_file, dags / dag_file.name)

    redis_port, api_port, log_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update({
        "AIRFLOW_HOME": str(base / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(base / "plugins"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_cluster.url(METADATA_DB, driver="postgresql+psycopg2"),
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + pg_cluster.url(METADATA_DB),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        **private_api_server_env(api_port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "600",  # parsed once at start; nothing changes after
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
        "AIRFLOW__METRICS__STATSD_ON": "False",
        "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1",
        "AIRFLOW_CONN_FINOPS_ALERTS": json.dumps({"conn_type": "http", "host": webhook.url}),
        "FINOPS_PROJECT_DIR": str(ROOT),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    _airflow(env, "db", "migrate", timeout=300)
    _airflow(env, "pools", "set", "openai_api", "4", "Caps concurrent calls to the OpenAI API.")

    stack = CeleryStack(base, env, pg_cluster.url(METADATA_DB))
    try:
        stack.start("redis", [redis_server, "--bind", "127.0.0.1", "--port", str(redis_port),
                              "--save", "", "--appendonly", "no", "--dir", str(base)])
        api = stack.start("api-server", [str(BIN / "airflow"), "api-server"])
        stack.start("dag-processor", [str(BIN / "airflow"), "dag-processor"])
        stack.start("scheduler", [str(BIN / "airflow"), "scheduler"])
        stack.start("celery-worker", [str(BIN / "airflow"), "celery", "worker", "--concurrency", "2"],
                    env={**env, WORKER_MARK: "1"})
        wait_for_http(f"http://127.0.0.1:{api_port}/api/v2/monitor/health", timeout=180, service=api)
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def growth_team(db, simulator):
    """One team on the simulator's healthy organization, every project registered."""
    from simulator_fixtures import HEALTHY

    from finops.registry import Registry

    registry = Registry()
    registry.add_team("growth", "cli:celery-test")
    registry.register_key("growth", simulator.key(HEALTHY), "cli:celery-test", verify=False)
    for pid in simulator.project_ids(HEALTHY):
        registry.add_project("growth", pid, "cli:celery-test", verify=False)
    return lambda start, end: {k: v for k, v in simulator.expected(HEALTHY, start, end, simulator.project_ids(HEALTHY)).items()}


def _loaded(db, start, end) -> dict:
    rows = db.execute(
        "SELECT usage_date, project_id, line_item, currency, sum(amount) FROM finops.cost_data "
        "WHERE team_id = 'growth' AND usage_date >= %s AND usage_date < %s GROUP BY 1, 2, 3, 4",
        (start, end)).fetchall()
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}


@pytest.mark.timeout(900)
def test_backfill_create_runs_each_day_on_celery(celery_stack, growth_team, db):
    """`airflow backfill create` day by day: each day's rows equal the simulator's, nothing doubled."""
    celery_stack.wait_until_parsed("openai_costs_daily")
    _airflow(celery_stack.env, "dags", "unpause", "openai_costs_daily")
    first, last = datetime(2026, 1, 10, tzinfo=UTC).date(), datetime(2026, 1, 12, tzinfo=UTC).date()
    _airflow(celery_stack.env, "backfill", "create", "--dag-id", "openai_costs_daily",
             "--from-date", first.isoformat(), "--to-date", last.isoformat(), "--max-active-runs", "2")
    deadline = time.monotonic() + 600
    states: list[tuple] = []
    while time.monotonic() < deadline:
        states = celery_stack.query(
            "SELECT logical_date, state FROM dag_run WHERE dag_id = 'openai_costs_daily' AND run_type = 'backfill' "
            "ORDER BY logical_date")
        if len(states) == 3 and all(s[1] in ("success", "failed") for s in states):
            break
        celery_stack._check_alive()
        time.sleep(2)
    assert [s[1] for s in states] == ["success"] * 3, f"{states}\n{celery_stack.logs()}"
    # Each run collects its day plus one look-back day: together, Jan 9 to Jan 12.
    start, end = first - timedelta(days=1), last + timedelta(days=1)
    assert _loaded(db, start, end) == growth_team(start, end)
    windows = db.execute("SELECT window_start, window_end FROM finops.collection_runs WHERE team_id = 'growth' "
                         "AND window_start < %s ORDER BY window_start", (end,)).fetchall()
    assert windows == [(first + timedelta(days=i - 1), first + timedelta(days=i + 1)) for i in range(3)]


def _settled(stack: CeleryStack, db, run_id: str, collected: int) -> bool:
    """Our collection run finished with every team collected ``collected`` times, and every alerts run
    its asset events queued has finished (nothing left in the queue, nothing running)."""
    runs = stack.query("SELECT dag_id, run_id, state FROM dag_run WHERE dag_id IN ('openai_costs_daily', "
                       "'finops_spend_alerts')")
    ours = [r for r in runs if r[1] == run_id]
    counts = dict(db.execute("SELECT team_id, count(*) FROM finops.collection_runs WHERE dag_run_id = %s "
                             "AND status = 'success' GROUP BY 1", (run_id,)).fetchall())
    return (bool(ours) and ours[0][2] in ("success", "failed")
            and (ours[0][2] == "failed" or (len(counts) == 2 and min(counts.values()) >= collected))
            and all(r[2] in ("success", "failed") for r in runs)
            and stack.query("SELECT count(*) FROM asset_dag_run_queue")[0][0] == 0)


@pytest.mark.timeout(1200)
def test_a_run_then_its_alerts_then_a_clear_that_recollects_the_batch_and_sends_nothing_new(
        celery_stack, growth_team, db, simulator, webhook):
    """Two teams in one ``collect_team`` instance, a budget crossed by the collected days.

    The run loads exactly the simulator's rows; its ``finops.cost_data`` event triggers
    ``finops_spend_alerts`` (issue 16), whose webhook message per month the window touches tells
    the three thresholds at once. ``airflow tasks clear`` keeps the run_id: the batched instance
    collects both teams again (issue 18, item 3), and the alerts run that follows sends nothing.
    """
    from simulator_fixtures import OTHER

    from finops.alerts import budgets
    from finops.registry import Registry

    registry = Registry()
    registry.add_team("search", "cli:celery-test")
    registry.register_key("search", simulator.key(OTHER), "cli:celery-test", verify=False)
    for pid in simulator.project_ids(OTHER):
        registry.add_project("search", pid, "cli:celery-test", verify=False)
    budgets.set_budget("growth", "0.01", "cli:celery-test", today=date(2026, 1, 15))  # every month from 2026-01 on
    env = celery_stack.env
    for dag_id in ("openai_costs_daily", "finops_spend_alerts"):
        celery_stack.wait_until_parsed(dag_id)
    _airflow(env, "variables", "set", "finops_teams_per_task", "2")  # both teams in one collect_team instance
    _airflow(env, "dags", "unpause", "finops_spend_alerts")
    day = (datetime.now(UTC) - timedelta(days=4)).date()
    run_id = f"celery_clear__{secrets.token_hex(4)}"
    before = len(webhook.received)

    def settle(collected: int) -> tuple[str, list[tuple]]:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if _settled(celery_stack, db, run_id, collected):
                break
            celery_stack._check_alive()
            time.sleep(2)
        else:
            pytest.fail(f"runs did not settle\n{celery_stack.logs()}")
        state = celery_stack.query("SELECT state FROM dag_run WHERE run_id = %s", run_id)[0][0]
        return state, celery_stack.query("SELECT run_type, state FROM dag_run WHERE dag_id = 'finops_spend_alerts'")

    try:
        _airflow(env, "dags", "trigger", "openai_costs_daily", "--run-id", run_id,
                 "--logical-date", f"{day.isoformat()}T00:00:00+00:00")
        _airflow(env, "dags", "unpause", "openai_costs_daily")
        state, alert_runs = settle(1)
        assert state == "success", celery_stack.logs()
        tasks = celery_stack.query("SELECT task_id, state FROM task_instance WHERE run_id = %s", run_id)
        assert tasks and all(t[1] in ("success", "skipped") for t in tasks), tasks
        worker_log = next(s for s in celery_stack.services if s.name == "celery-worker").log_file
        assert run_id in worker_log.read_text(errors="replace"), "the Celery worker did not execute the run's tasks"
        # The run collects its data interval (one UTC day) plus one look-back day.
        (interval_start, interval_end), = celery_stack.query(
            "SELECT data_interval_start, data_interval_end FROM dag_run WHERE run_id = %s", run_id)
        start, end = interval_start.date() - timedelta(days=1), interval_end.date()
        assert _loaded(db, start, end) == growth_team(start, end)
        assert alert_runs and all(r == ("asset_triggered", "success") for r in alert_runs), alert_runs
        # One message per month the window touches, the three thresholds told together. (The run the
        # scheduler made on unpause may have triggered an alerts run too: a month is still told once.)
        months = {(start + timedelta(days=n)).strftime("%Y-%m") for n in range((end - start).days)}
        bodies = [b for b in webhook.received[before:] if b["kind"] in SPEND_ALERT_KINDS]
        periods = [b["period"] for b in bodies]
        assert len(periods) == len(set(periods)) and months <= set(periods), bodies
        assert all(b["kind"] == "budget_threshold" and b["team_id"] == "growth" for b in bodies), bodies
        assert all("the 50 %, 80 % and 100 % thresholds are crossed" in b["text"] for b in bodies), bodies
        assert db.execute("SELECT count(*), count(delivered_at) FROM finops.alerts").fetchone() == (3 * len(bodies),) * 2

        _airflow(env, "tasks", "clear", "openai_costs_daily", "--start-date", day.isoformat(),
                 "--end-date", day.isoformat(), "--yes")
        state, again = settle(2)
        assert state == "success", celery_stack.logs()
        counts = dict(db.execute("SELECT team_id, count(*) FROM finops.collection_runs WHERE dag_run_id = %s "
                                 "AND status = 'success' GROUP BY 1", (run_id,)).fetchall())
        assert counts == {"growth": 2, "search": 2}
        assert len(again) > len(alert_runs) and all(r[1] == "success" for r in again), again
        assert [b for b in webhook.received[before:] if b["kind"] in SPEND_ALERT_KINDS] == bodies
        assert db.execute("SELECT count(*) FROM finops.alerts").fetchone()[0] == 3 * len(bodies)
    finally:
        _airflow(env, "variables", "delete", "finops_teams_per_task")
        _airflow(env, "dags", "pause", "finops_spend_alerts")

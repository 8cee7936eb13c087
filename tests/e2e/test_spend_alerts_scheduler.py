"""The collection, then the asset-triggered ``finops_spend_alerts``, under a real scheduler (LocalExecutor).

Its own Airflow (metadata database, api-server, dag-processor, scheduler) over the test warehouse,
KMS and simulator. One team with a tiny budget: every collection run's ``finops.cost_data`` event
triggers the alerts DAG, and the webhook receiver on localhost gets one message per month the
collected windows touch (the three thresholds crossed at once, told together), exactly once, even
though two collection runs (the triggered one and the one unpausing creates) each trigger a run.
Opt-in (it starts a whole Airflow): ``FINOPS_SCHEDULER_E2E=1 make test PYTEST_ARGS=tests/e2e/test_spend_alerts_scheduler.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from alert_receivers import WebhookReceiver
from test_celery_executor import BIN, ROOT, CeleryStack, _airflow

from finops.devenv.local import private_api_server_env
from finops.devenv.postgres import free_port
from finops.devenv.processes import wait_for_http

METADATA_DB = f"{os.environ.get('FINOPS_TEST_DB', 'finops_test')}_alerts_airflow"
DAGS = ("openai_costs_daily", "finops_spend_alerts")


@pytest.fixture(scope="module")
def webhook():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pg_cluster, warehouse, kms_endpoint, simulator, webhook):
    import psycopg

    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{METADATA_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{METADATA_DB}"')
    base = tmp_path_factory.mktemp("alerts") / ".local"
    dags = base.parent / "dags"
    dags.mkdir()
    for name in DAGS:
        shutil.copy(ROOT / "dags" / f"{name}.py", dags / f"{name}.py")
    api_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update({
        "AIRFLOW_HOME": str(base / "airflow"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(base / "plugins"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_cluster.url(METADATA_DB, driver="postgresql+psycopg2"),
        **private_api_server_env(api_port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__METRICS__STATSD_ON": "False",
        "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1",
        "AIRFLOW_CONN_FINOPS_ALERTS": json.dumps({"conn_type": "http", "host": webhook.url}),
        "FINOPS_PROJECT_DIR": str(ROOT),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    _airflow(env, "db", "migrate", timeout=300)
    _airflow(env, "pools", "set", "openai_api", "4", "Caps concurrent calls to the OpenAI API.")
    running = CeleryStack(base, env, pg_cluster.url(METADATA_DB))
    try:
        api = running.start("api-server", [str(BIN / "airflow"), "api-server"])
        running.start("dag-processor", [str(BIN / "airflow"), "dag-processor"])
        running.start("scheduler", [str(BIN / "airflow"), "scheduler"])
        wait_for_http(f"http://127.0.0.1:{api_port}/api/v2/monitor/health", timeout=180, service=api)
        yield running
    finally:
        running.stop()


def _settled(stack: CeleryStack) -> list[tuple]:
    return stack.query("SELECT dag_id, run_type, state FROM dag_run ORDER BY dag_id, id")


@pytest.mark.timeout(1500)
@pytest.mark.skipif(os.environ.get("FINOPS_SCHEDULER_E2E") != "1",
                    reason="a whole Airflow stack (~10 min here): run with FINOPS_SCHEDULER_E2E=1")
def test_collection_then_asset_triggered_alerts_deliver_once(stack, webhook, db, simulator):
    from simulator_fixtures import HEALTHY

    from finops.alerts import budgets
    from finops.registry import Registry

    registry = Registry()
    registry.add_team("growth", "cli:e2e")
    registry.register_key("growth", simulator.key(HEALTHY), "cli:e2e", verify=False)
    for pid in simulator.project_ids(HEALTHY):
        registry.add_project("growth", pid, "cli:e2e", verify=False)
    budgets.set_budget("growth", "0.01", "cli:e2e", today=date(2026, 1, 15))  # every month from 2026-01 on

    for dag_id in DAGS:
        stack.wait_until_parsed(dag_id)
    _airflow(stack.env, "dags", "unpause", "finops_spend_alerts")
    day = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT00:00:00+00:00")
    _airflow(stack.env, "dags", "trigger", "openai_costs_daily", "--run-id", f"e2e__{secrets.token_hex(4)}",
             "--logical-date", day)
    _airflow(stack.env, "dags", "unpause", "openai_costs_daily")

    # Both collection runs finish, each triggers an alerts run (or one run for both events), all finish.
    deadline = time.monotonic() + 720
    runs: list[tuple] = []
    while time.monotonic() < deadline:
        runs = _settled(stack)
        collections = [r for r in runs if r[0] == "openai_costs_daily"]
        alerts = [r for r in runs if r[0] == "finops_spend_alerts"]
        if (len(collections) == 2 and all(r[2] == "success" for r in collections) and alerts
                and all(r[2] in ("success", "failed") for r in alerts)
                and stack.query("SELECT count(*) FROM asset_dag_run_queue")[0][0] == 0):
            break
        stack._check_alive()
        time.sleep(3)
    else:
        pytest.fail(f"runs did not finish: {runs}\n{stack.logs()}")
    alerts = [r for r in runs if r[0] == "finops_spend_alerts"]
    assert all(r[1] == "asset_triggered" and r[2] == "success" for r in alerts), runs

    windows = db.execute("SELECT DISTINCT window_start, window_end FROM finops.collection_runs").fetchall()
    months = sorted({(s + timedelta(days=n)).strftime("%Y-%m") for s, e in windows for n in range((e - s).days)})
    spent = db.execute("SELECT count(*) FROM finops.cost_data WHERE amount > 0").fetchone()[0]
    assert spent > 0
    bodies = webhook.received
    assert sorted(b["period"] for b in bodies) == months  # one message per month, never twice
    assert all(b["kind"] == "budget_threshold" and b["team_id"] == "growth" for b in bodies)
    assert all("the 50 %, 80 % and 100 % thresholds are crossed" in b["text"] for b in bodies)
    assert db.execute("SELECT count(*), count(delivered_at) FROM finops.alerts").fetchone() == (3 * len(months),) * 2

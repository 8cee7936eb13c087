"""Showback under a real scheduler (issue 27): the api-server, the dag-processor and the scheduler with the
LocalExecutor on the session's Airflow metadata database, runs triggered with ``airflow dags trigger``.

One team on the simulator's ``STORY`` organization, its webhook a receiver on localhost that fails at first:

- ``openai_costs_daily`` collects March 2026 (its ``start_date``/``end_date`` params);
- ``finops_team_statements`` (as of 2026-04-07) issues the March statement; its delivery fails, ``deliver`` waits
  for its retry, an ``airflow tasks clear`` of it runs the retry now, and the statement is delivered;
- ``finops_team_digests`` (as of Monday 2026-03-30) delivers the team's digest;
- the simulator restates 2026-03-05, a collection of that day loads it, and the next statements run issues
  version 2 listing the changed lines;
- a rerun of both DAGs (same week, later day) sends nothing new.

Run alone with: ``pytest tests/e2e/test_showback_scheduler.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from alert_receivers import WebhookReceiver
from simulator_fixtures import STORY, STORY_SPIKE

from finops.devenv.local import private_api_server_env
from finops.devenv.postgres import free_port
from finops.devenv.processes import Service, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAGS = ("openai_costs_daily", "finops_team_statements", "finops_team_digests")
TEAM = "story"


class Stack:
    def __init__(self, base: Path, env: dict[str, str], metadata_url: str) -> None:
        self.base, self.env, self.metadata_url = base, env, metadata_url
        self.services: list[Service] = []

    def start(self, name: str, argv: list[str]) -> Service:
        service = Service(name, argv, self.base)
        service.start(env=self.env)
        self.services.append(service)
        return service

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop(timeout=20)

    def logs(self, lines: int = 30) -> str:
        return "\n".join(f"--- {s.name} ---\n" + "\n".join(
            s.log_file.read_text(errors="replace").splitlines()[-lines:]) for s in self.services if s.log_file.exists())

    def query(self, sql: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.metadata_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def airflow(self, *args: str) -> str:
        out = subprocess.run([str(BIN / "airflow"), *args], env=self.env, capture_output=True, text=True,
                             timeout=180, check=False)
        assert out.returncode == 0, f"`airflow {' '.join(args)}` failed:\n{(out.stdout + out.stderr)[-3000:]}"
        return out.stdout

    def wait(self, what: str, check, timeout: float = 300):
        """Poll ``check`` until it returns something truthy; fail with the logs at the deadline or if a service died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            dead = [s.name for s in self.services if s.pid() is None]
            assert not dead, f"{dead} exited while waiting for {what}\n{self.logs()}"
            time.sleep(1)
        pytest.fail(f"{what}: not within {timeout:.0f} s\n{self.logs()}")

    def run_state(self, run_id: str) -> str | None:
        rows = self.query("SELECT state FROM dag_run WHERE run_id = %s", run_id)
        return rows[0][0] if rows else None

    def trigger(self, dag_id: str, day: str, conf: dict | None = None) -> str:
        run_id = f"sched_{dag_id}_{day}_{secrets.token_hex(3)}"
        self.airflow("dags", "trigger", dag_id, "--run-id", run_id, "--logical-date", f"{day}T00:00:00+00:00",
                     *(["--conf", json.dumps(conf)] if conf else []))
        return run_id

    def finished(self, *run_ids: str, timeout: float = 300) -> None:
        """Every run ended; each must have succeeded."""
        def ended() -> list[str] | None:
            states = [self.run_state(r) for r in run_ids]
            return states if all(s in ("success", "failed") for s in states) else None

        states = self.wait(f"runs {run_ids} to end", ended, timeout)
        assert states == ["success"] * len(run_ids), f"{dict(zip(run_ids, states, strict=True))}\n{self.logs(60)}"

    def idle(self) -> None:
        """No run of our DAGs queued or running (the scheduled runs unpausing made have ended too)."""
        self.wait("our DAGs to be idle", lambda: not self.query(
            "SELECT 1 FROM dag_run WHERE dag_id = ANY(%s) AND state IN ('queued', 'running')", list(DAGS)))


@pytest.fixture
def stack(tmp_path, db, pg_cluster, warehouse, kms_endpoint, simulator, monkeypatch):
    from finops.registry import Registry
    from finops.showback.channels import set_channels

    metadata = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    if not metadata:  # make test always sets it: a missing one is a broken setup, never a silent skip
        pytest.fail("needs the session's Airflow metadata database (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN); run `make test`")
    receiver = WebhookReceiver().start()
    api_port, log_port = free_port(), free_port()
    base = tmp_path / ".local"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "PYTEST_"))}
    env.update({
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(tmp_path / "plugins"),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        **private_api_server_env(api_port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "600",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "600",
        "AIRFLOW__METRICS__STATSD_ON": "False",
        "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1",
        "AIRFLOW_VAR_FINOPS_STATEMENTS_DEST": str(tmp_path / "statements"),
        "AIRFLOW_CONN_STORY_HOOK": json.dumps({"conn_type": "http", "host": receiver.url}),
        "FINOPS_PROJECT_DIR": str(ROOT),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    registry = Registry()
    registry.add_team(TEAM, "cli:sched-test")
    registry.register_key(TEAM, simulator.key(STORY), "cli:sched-test", verify=False)
    for pid in simulator.project_ids(STORY):
        registry.add_project(TEAM, pid, "cli:sched-test", verify=False)
    monkeypatch.setenv("AIRFLOW_CONN_STORY_HOOK", env["AIRFLOW_CONN_STORY_HOOK"])
    set_channels(TEAM, "cli:sched-test", webhook_conn="story_hook")

    stack = Stack(base, env, metadata.replace("+psycopg2", "").replace("+psycopg", ""))
    stack.receiver = receiver
    stack.api = f"http://127.0.0.1:{api_port}"
    stack.dest = tmp_path / "statements"
    try:
        for dag_id in DAGS:  # earlier runs of these logical dates (a previous session) would be cleared with ours
            subprocess.run([str(BIN / "airflow"), "dags", "delete", dag_id, "--yes"], env=env, capture_output=True,
                           timeout=180, check=False)
        stack.airflow("pools", "set", "openai_api", "4", "Caps concurrent calls to the OpenAI API.")
        api = stack.start("api-server", [str(BIN / "airflow"), "api-server"])
        stack.start("dag-processor", [str(BIN / "airflow"), "dag-processor"])
        stack.start("scheduler", [str(BIN / "airflow"), "scheduler"])
        wait_for_http(f"http://127.0.0.1:{api_port}/api/v2/monitor/health", timeout=180, service=api)
        yield stack
    finally:
        try:
            for dag_id in DAGS:
                stack.airflow("dags", "pause", dag_id)
        finally:
            stack.stop()
            receiver.stop()
            simulator.restate(STORY, revision=0)


@pytest.mark.timeout(900)
def test_statements_and_digests_under_the_scheduler_amend_once_and_retry_a_failed_delivery(stack, db, simulator):
    receiver = stack.receiver
    for dag_id in DAGS:
        stack.wait(f"{dag_id} parsed", lambda d=dag_id: stack.query("SELECT 1 FROM serialized_dag WHERE dag_id = %s", d))
    receiver.fail_next(10**6)  # the team's webhook is down until said otherwise

    collect = stack.trigger("openai_costs_daily", "2026-04-01", {"start_date": "2026-03-01", "end_date": "2026-03-31"})
    for dag_id in DAGS:  # unpausing makes each DAG's latest scheduled run too: it finds nothing of March to do
        stack.airflow("dags", "unpause", dag_id)
    stack.finished(collect)
    stack.idle()
    march = simulator.expected(STORY, date(2026, 3, 1), date(2026, 4, 1))
    total = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s AND usage_date >= '2026-03-01' "
                       "AND usage_date < '2026-04-01'", (TEAM,)).fetchone()[0]
    assert total == sum(march.values())

    # The statement is issued, its delivery fails: `deliver` waits for its retry (5 minutes), the run goes on.
    first = stack.trigger("finops_team_statements", "2026-04-07")
    stack.wait("deliver up for retry", lambda: stack.query(
        "SELECT 1 FROM task_instance WHERE run_id = %s AND task_id = 'deliver' AND state = 'up_for_retry'", first))
    (v1_html, v1_csv, v1_totals), = db.execute(
        "SELECT html_path, csv_path, totals FROM finops.team_statements WHERE team_id = %s AND month = '2026-03-01' "
        "ORDER BY version", (TEAM,)).fetchall()
    assert Decimal(v1_totals["usd"]) == total
    assert Path(v1_html.removeprefix("file://")).exists() and Path(v1_csv.removeprefix("file://")).exists()
    assert db.execute("SELECT kind, period, delivered_at, attempts > 0, delivery_errors IS NOT NULL "
                      "FROM finops.team_deliveries").fetchall() == [("statement", "2026-03 v1", None, True, True)]
    assert receiver.received == []

    receiver.fail_next(0)  # the webhook is back; the retry, run now instead of in 5 minutes, delivers it
    # By run id through the REST API: `airflow tasks clear --start-date` does not find a run triggered with a
    # logical date (its data interval is the trigger time).
    cleared = requests.post(f"{stack.api}/api/v2/dags/finops_team_statements/clearTaskInstances", timeout=30, json={
        "dag_run_id": first, "task_ids": ["deliver"], "only_failed": False, "dry_run": False})
    assert cleared.status_code == 200 and cleared.json()["total_entries"] == 1, cleared.text
    stack.finished(first)
    assert receiver.kinds() == ["team_statement"]
    assert receiver.received[0]["month"] == "2026-03" and receiver.received[0]["version"] == 1
    assert Decimal(receiver.received[0]["totals"]["usd"]) == total

    digests = stack.trigger("finops_team_digests", "2026-03-30")  # a Monday: the week of 2026-03-22 .. 2026-03-28
    stack.finished(digests)
    assert receiver.kinds() == ["team_statement", "team_digest"]
    assert receiver.received[1]["team_id"] == TEAM

    # The simulator restates 2026-03-05; collecting that day again loads it; the next run amends March.
    simulator.restate(STORY, revision=1)
    restated = simulator.expected(STORY, STORY_SPIKE, date(2026, 3, 6), revision=1)
    changed = {k for k, v in restated.items() if march[k] != v}
    assert changed
    recollect = stack.trigger("openai_costs_daily", "2026-03-06", {"start_date": "2026-03-05", "end_date": "2026-03-05"})
    stack.finished(recollect)
    new_total = sum({**march, **restated}.values())
    second = stack.trigger("finops_team_statements", "2026-04-08")
    stack.finished(second)
    rows = db.execute("SELECT version, changes, totals, html_path FROM finops.team_statements WHERE team_id = %s "
                      "ORDER BY version", (TEAM,)).fetchall()
    # Every line of the restated day 2026-03-05 is listed as changed.
    assert [r[0] for r in rows] == [1, 2] and rows[0][1] == 0 and 0 < rows[1][1] <= len(changed)
    assert db.execute("SELECT count(*) FROM finops.team_statement_lines l JOIN finops.team_statements s USING "
                      "(statement_id) WHERE s.version = 2 AND l.usage_date = %s", (STORY_SPIKE,)).fetchone()[0] == rows[1][1]
    assert Decimal(rows[1][2]["usd"]) == new_total and Path(rows[1][3].removeprefix("file://")).exists()
    assert receiver.kinds() == ["team_statement", "team_digest", "team_statement"]
    amended = receiver.received[2]
    assert amended["version"] == 2 and amended["amended"] is True and amended["changes"] == rows[1][1]

    # Rerunning both DAGs (a later day, the same week) sends nothing new.
    again = [stack.trigger("finops_team_statements", "2026-04-09"), stack.trigger("finops_team_digests", "2026-03-31")]
    stack.finished(*again)
    assert len(receiver.received) == 3
    assert db.execute("SELECT count(*) FROM finops.team_statements").fetchone()[0] == 2
    assert db.execute("SELECT kind, count(*), count(delivered_at) FROM finops.team_deliveries GROUP BY 1 "
                      "ORDER BY 1").fetchall() == [("digest", 1, 1), ("statement", 2, 2)]

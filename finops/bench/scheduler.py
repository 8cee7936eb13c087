"""The ``scheduler`` case: the DAG as production runs it, a scheduler with LocalExecutor, not ``dags test``.

An Airflow of its own (metadata database ``airflow_bench``, api-server, dag-processor, scheduler,
LocalExecutor with ``parallelism`` 4, pool ``openai_api`` 4 slots) over the bench's warehouse, KMS
and simulator. Measured: the scheduled run that unpausing the DAG creates (all registered teams,
the day before today plus the look-back), and ``airflow backfill create`` over ``--backfill-create-days``
days, day by day, ``--max-active-runs 4``. Wall times run from the command to the last run's end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from finops.bench import Measurement
from finops.bench.env import BenchEnv

Log = Callable[[str], None]
METADATA_DB = "airflow_bench"
DAG_ID = "openai_costs_daily"
TERMINAL = ("success", "failed")


class AirflowStack:
    """api-server, dag-processor and scheduler on their own metadata database; ``stop()`` ends them."""

    def __init__(self, env: BenchEnv, log: Log) -> None:
        from finops.devenv import local
        from finops.devenv.postgres import free_port

        self.log = log
        self.cluster = local.cluster()
        self.base = env.home / "scheduler"
        self.metadata_url = self.cluster.url(METADATA_DB)
        self.bin = Path(env.python()).parent
        api_port = free_port()
        self.health = f"http://127.0.0.1:{api_port}/api/v2/monitor/health"
        child = env.child_env()
        self.env = {k: v for k, v in child.items() if not k.startswith("AIRFLOW__")}
        self.env.update({
            "AIRFLOW_HOME": str(self.base / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": child["AIRFLOW__CORE__DAGS_FOLDER"],
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(self.base / "plugins"),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.cluster.url(METADATA_DB, driver="postgresql+psycopg2"),
            **local.private_api_server_env(api_port),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW__METRICS__STATSD_ON": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        })
        self.services: list = []

    def airflow(self, *args: str, timeout: float = 300) -> None:
        done = subprocess.run([str(self.bin / "airflow"), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"`airflow {' '.join(args)}` exited {done.returncode}: {(done.stdout + done.stderr)[-1500:]}")

    def start(self) -> AirflowStack:
        import psycopg

        from finops.devenv.processes import Service, wait_for_http

        with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{METADATA_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{METADATA_DB}"')
        (self.base / "plugins").mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        self.airflow("db", "migrate", timeout=600)
        self.airflow("pools", "set", "openai_api", "4", "Caps concurrent calls to the OpenAI API.")
        for component in ("api-server", "dag-processor", "scheduler"):
            service = Service(f"bench-{component}", [str(self.bin / "airflow"), component], self.base)
            service.start(env=self.env)
            self.services.append(service)
        wait_for_http(self.health, timeout=180, service=self.services[0])
        self.wait(lambda: self.query("SELECT 1 FROM serialized_dag WHERE dag_id = %s", DAG_ID), 180,
                  f"{DAG_ID} parsed by the dag-processor")
        self.log(f"scheduler stack up in {time.perf_counter() - started:.1f} s (metadata database {METADATA_DB})")
        return self

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop(timeout=30)

    def query(self, sql: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.metadata_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def wait(self, done: Callable[[], object], timeout: float, what: str) -> None:
        """Poll ``done`` once a second; a dead component or the timeout ends the case with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if done():
                return
            dead = [s for s in self.services if s.pid() is None]
            if dead:
                raise RuntimeError(f"{dead[0].name} exited while waiting for {what}: "
                                   + dead[0].log_file.read_text(errors="replace")[-1500:])
            time.sleep(1)
        raise RuntimeError(f"waited {timeout:.0f} s for {what}; logs in {self.base / 'logs'}")

    def runs(self, run_type: str) -> list[tuple[str, datetime | None, datetime | None]]:
        return self.query("SELECT state, start_date, end_date FROM dag_run WHERE dag_id = %s AND run_type = %s "
                          "ORDER BY logical_date", DAG_ID, run_type)


def _finished(runs: list[tuple], count: int) -> bool:
    return len(runs) >= count and all(state in TERMINAL for state, *_ in runs)


def case_scheduler(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    from finops.bench.cases import daily_window, limit_script, outcome, truncate
    from finops.collection import teams_per_task

    teams = env.team_ids(args.backfill_teams)
    size = teams_per_task(len(teams), os.environ.get("AIRFLOW_VAR_FINOPS_TEAMS_PER_TASK", "auto"))
    per_task = f"{size} team(s) per task ({-(-len(teams) // size)} instances)"
    stack = AirflowStack(env, log).start()
    out: list[Measurement] = []
    try:
        # 1. The scheduled run that unpausing creates: every registered team, yesterday + look-back.
        today = datetime.now(UTC).date()
        start, end = daily_window(today)
        truncate(env)
        limit_s, detail = (limit_script(env, log, teams, start, end, args.pool, "bench-limit-scheduled")
                           if args.script_limit else (0.0, {}))
        truncate(env)
        began = time.perf_counter()
        stack.airflow("dags", "unpause", DAG_ID)
        stack.wait(lambda: _finished(stack.runs("scheduled"), 1), args.run_timeout, "the scheduled run")
        daily_s = time.perf_counter() - began
        (state, run_start, run_end), *_ = stack.runs("scheduled")
        ok, rows = outcome(env)
        log(f"scheduler: scheduled run {state} in {daily_s:.1f} s (dag_run {(run_end - run_start).total_seconds():.1f} s), "
            f"{ok} teams ok, {rows} rows; limit script {limit_s:.1f} s")
        out.append(Measurement(
            f"scheduler: daily run, {len(teams)} teams, {per_task}",
            f"{daily_s:.1f} s from unpause ({(run_end - run_start).total_seconds():.1f} s as dag_run), {ok}/{len(teams)} ok",
            f"script {limit_s:.1f} s" if limit_s else "-", daily_s / limit_s if limit_s else None,
            "<= 1.5x the dags test time (daily case)",
            ("info" if state == "success" else f"run {state}")))

        # 2. `airflow backfill create`, day by day, 4 runs at once (the DAG's max_active_runs).
        days = args.backfill_create_days
        first = date(2025, 1, 2)
        last = first + timedelta(days=days - 1)
        truncate(env)
        began = time.perf_counter()
        stack.airflow("backfill", "create", "--dag-id", DAG_ID, "--from-date", first.isoformat(),
                      "--to-date", last.isoformat(), "--max-active-runs", "4")
        stack.wait(lambda: _finished(stack.runs("backfill"), days), args.run_timeout * max(1, days / 10),
                   f"{days} backfill runs")
        backfill_s = time.perf_counter() - began
        states = [state for state, *_ in stack.runs("backfill")]
        ok, rows = outcome(env)
        good = states.count("success")
        log(f"scheduler: backfill create of {days} days: {backfill_s:.1f} s, {good}/{days} runs succeeded, {rows} rows")
        out.append(Measurement(
            f"scheduler: `airflow backfill create`, {days} days x {len(teams)} teams",
            f"{backfill_s:.1f} s ({backfill_s / days:.1f} s/day, {good}/{days} runs ok, {rows:,} rows)",
            verdict="info" if good == days else "failed runs"))
        if days < 365:
            out.append(Measurement(
                f"scheduler: `airflow backfill create`, 365 days x {len(teams)} teams (EXTRAPOLATED x365/{days})",
                f"~{backfill_s * 365 / days / 60:.0f} min", target="< 300 s is the range run's target",
                verdict="extrapolated"))
    finally:
        stack.stop()
        truncate(env)
    return out

"""Faults that need Airflow itself: a task process SIGKILLed mid-load, the scheduler restarted mid-run.

An Airflow of its own (the bench's stack: api-server, dag-processor, scheduler with LocalExecutor,
metadata database ``airflow_bench``) runs ``openai_costs_daily`` for the chaos team over the fault
proxy, which slows each page so the fault lands in the middle of the load.
"""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

from finops.chaos.matrix import TEAM, WINDOW, ChaosEnv, Row
from finops.chaos.proxy import Fault

DAG_ID = "openai_costs_daily"
PAGE_DELAY_S = 2.0


class _StackEnv:
    """What the bench's AirflowStack needs from its environment (home, python, child_env)."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def python(self) -> str:
        import sys

        return sys.executable

    def child_env(self) -> dict[str, str]:
        root = Path(__file__).resolve().parents[2]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        env.update({"AIRFLOW_HOME": str(self.home / "airflow"), "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
        return env


def _stack(env: ChaosEnv, home: Path, log):
    from finops.bench.scheduler import AirflowStack

    stack = AirflowStack(_StackEnv(home), log)
    stack.env.update({
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "45",
        "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1",
        "AIRFLOW_VAR_FINOPS_SUCCESS_RATE_THRESHOLD": "0.95",
    })
    return stack.start()


def _trigger(stack, run_id: str) -> None:
    conf = {"team_ids": [TEAM], "start_date": WINDOW[0].isoformat(),
            "end_date": (WINDOW[1] - timedelta(days=1)).isoformat()}
    stack.airflow("dags", "unpause", DAG_ID)
    stack.airflow("dags", "trigger", DAG_ID, "--run-id", run_id, "--conf", json.dumps(conf))


def _running_collect(stack, run_id: str) -> str | None:
    rows = stack.query("SELECT id::text FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = "
                       "'collect_team' AND state = 'running'", DAG_ID, run_id)
    return rows[0][0] if rows else None


def _pids_with(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if text in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _run_state(stack, run_id: str) -> str:
    rows = stack.query("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", DAG_ID, run_id)
    return rows[0][0] if rows else "missing"


def _tries(stack, run_id: str) -> int:
    rows = stack.query("SELECT max(try_number) FROM task_instance WHERE dag_id = %s AND run_id = %s AND "
                       "task_id = 'collect_team'", DAG_ID, run_id)
    return rows[0][0] or 0


def _mid_load(env: ChaosEnv, stack, run_id: str, timeout: float = 600) -> str:
    """Wait until collect_team runs and has fetched 3 of the 7 pages; its task instance id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ti = _running_collect(stack, run_id)
        if ti and env.proxy.requests_seen >= 3:
            return ti
        time.sleep(0.5)
    raise RuntimeError(f"collect_team of {run_id} did not reach page 3 within {timeout:.0f} s")


def scheduler_faults(env: ChaosEnv, home: Path, log) -> list[Row]:
    """Both scheduler faults on one Airflow stack (starting it takes a minute or more)."""
    rows: list[Row] = []
    env.register_team()
    with env.through_proxy() as proxy:
        stack = _stack(env, home, log)
        try:
            for name, injected, inject in (
                ("worker SIGKILLed mid-load under a scheduler", "SIGKILL to the collect_team task process at page 3",
                 lambda ti: [os.kill(p, signal.SIGKILL) for p in _pids_with(f"airflow worker -- {ti}")]),
                ("scheduler restarted mid-run", "scheduler (with its LocalExecutor workers) stopped at page 3, "
                 "started again", lambda ti: _restart_scheduler(stack)),
            ):
                run_id = f"chaos__{name.split()[0]}_{int(time.time())}"
                proxy.requests_seen = 0
                proxy.clear()
                proxy.inject(*[Fault("delay", seconds=PAGE_DELAY_S)] * 7)
                _trigger(stack, run_id)
                ti = _mid_load(env, stack, run_id)
                killed = inject(ti)
                stack.wait(lambda run_id=run_id: _run_state(stack, run_id) in ("success", "failed"), 900,
                           f"run {run_id} to finish")
                state, tries = _run_state(stack, run_id), _tries(stack, run_id)
                lost, dup, equal = env.measure()
                what = f" ({len(killed)} process(es) killed)" if isinstance(killed, list) else ""
                rows.append(Row(name, injected + what,
                                f"run {state}; collect_team finished on try {tries}", lost, dup, equal))
                log(f"[chaos] {name}: run {state}, collect_team try {tries}")
        finally:
            stack.stop()
    return rows


def _restart_scheduler(stack) -> None:
    scheduler = next(s for s in stack.services if s.name.endswith("scheduler"))
    scheduler.stop(timeout=30)
    scheduler.start(env=stack.env)

"""Why a collection run failed: the failed gates (with their messages) and the failed teams, as one alert.

The gate tasks leave their failure message in XCom (key ``gate_failure``); the run's watcher task
(``trigger_rule="one_failed"``) collects them, records a ``run_failed`` alert and fails the run. The
DAG's failure notifier delivers it, and records a plainer one when the watcher could not run.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from typing import Any

from finops import paths
from finops.alerts.model import RUN_FAILED, Alert

#: The tasks whose failure fails the run (failed team instances alone do not).
GATES = ("check_data_quality", "check_success_rate")
FAILURE_KEY = "gate_failure"


@contextmanager
def gate(ti):
    """Wrap a gate task's body: on failure its message goes to XCom for the watcher, then it re-raises."""
    try:
        yield
    except Exception as exc:
        try:
            ti.xcom_push(key=FAILURE_KEY, value=str(exc)[:4000] or type(exc).__name__)
        except Exception:  # the message is a courtesy; the failure itself must surface
            pass
        raise


def failed_teams(provider: str, dag_run_id: str) -> dict[str, str]:
    """Teams whose last attempt in the run failed, with the recorded reason (secret-free by design)."""
    from finops.warehouse.db import connect

    with connect() as conn:
        rows = conn.execute(paths.sql("alerts/run_team_outcomes"),
                            {"provider": provider, "dag_run_id": dag_run_id}).fetchall()
    return {team: error or "" for team, status, error in rows if status != "success"}


def run_failed_alert(provider: str, dag_id: str, run_id: str, gates: dict[str, str],
                     teams: dict[str, str], note: str = "") -> Alert:
    """The run-level alert: which gates failed and why, which teams failed and why."""
    lines = [f"{dag_id} run {run_id} failed"
             + (f": {', '.join(sorted(gates))} failed." if gates else f"{': ' + note if note else ''}.")]
    lines += [f"- {task}: {message}" for task, message in sorted(gates.items())]
    lines += [f"- team {team}: {why}" for team, why in sorted(teams.items())]
    if not teams:
        lines.append("No team failed its collection.")
    digest = hashlib.sha256(repr((sorted(gates), sorted(teams))).encode()).hexdigest()[:12]
    details: dict[str, Any] = {"dag_id": dag_id, "run_id": run_id, "failed_gates": gates, "failed_teams": teams}
    return Alert(kind=RUN_FAILED, provider=provider, scope=f"run:{digest}", period=run_id,
                 message="\n".join(lines), details=details)


def run_failure_recorded(provider: str, run_id: str) -> bool:
    from finops.warehouse.db import connect

    with connect() as conn:
        return conn.execute(paths.sql("alerts/run_failed_recorded"),
                            {"provider": provider, "run_id": run_id}).fetchone()[0]

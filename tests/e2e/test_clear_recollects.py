"""Re-running a date under ``airflow dags test`` (same run_id, a new try sequence) collects every team of a batch.

Item 3 of issue 18: a retry skips the teams already collected, but a Clear, or a rerun of the same
date, keeps the run_id and must collect every team again. The scheduler's Clear is tested in
``tests/e2e/test_celery_executor.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from simulator_fixtures import HEALTHY, OTHER

from finops.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAY = date(2026, 3, 12)
ACTOR = "cli:e2e-clear"
TEAMS = {"growth": HEALTHY, "search": OTHER}


@pytest.fixture
def batched_teams(db, kms_endpoint, simulator):
    registry = Registry()
    for team, org in TEAMS.items():
        registry.add_team(team, ACTOR)
        registry.register_key(team, simulator.key(org), ACTOR, verify=False)
        for project_id in simulator.project_ids(org):
            registry.add_project(team, project_id, ACTOR, verify=False)
    return registry


def dags_test(day: date) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({
        "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1",
        "AIRFLOW_VAR_FINOPS_TEAMS_PER_TASK": "2",  # both teams in one collect_team instance
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    })
    return subprocess.run([str(BIN / "airflow"), "dags", "test", "openai_costs_daily", day.isoformat()],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)


def successes(db) -> dict[str, int]:
    rows = db.execute("SELECT team_id, count(*) FROM finops.collection_runs WHERE status = 'success' "
                      "GROUP BY 1 ORDER BY 1").fetchall()
    return dict(rows)


def test_rerunning_a_date_collects_every_team_of_a_batch_again(batched_teams, db, simulator):
    first = dags_test(DAY)
    assert first.returncode == 0, (first.stdout + first.stderr)[-3000:]
    assert successes(db) == {"growth": 1, "search": 1}
    run_ids = {r[0] for r in db.execute("SELECT DISTINCT dag_run_id FROM finops.collection_runs")}
    loaded = db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone()

    again = dags_test(DAY)
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert {r[0] for r in db.execute("SELECT DISTINCT dag_run_id FROM finops.collection_runs")} == run_ids
    assert successes(db) == {"growth": 2, "search": 2}  # not skipped: same run_id, new try sequence
    assert db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone() == loaded

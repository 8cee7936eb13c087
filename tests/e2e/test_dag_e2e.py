"""``openai_costs_daily`` end to end: ``airflow dags test`` against the real PostgreSQL, moto's KMS
and the simulator over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from simulator_fixtures import FAULTY, HEALTHY, OTHER, QUIRKY

from finops.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAY = date(2026, 3, 10)
ACTOR = "cli:e2e"
TEAMS = {"growth": HEALTHY, "search": OTHER, "flaky": FAULTY, "quirky": QUIRKY}


@pytest.fixture
def teams(db, kms_endpoint, simulator):
    """Four healthy teams, each on its own simulator organization, every project registered."""
    registry = Registry()
    for team, org in TEAMS.items():
        registry.add_team(team, ACTOR)
        registry.register_key(team, simulator.key(org), ACTOR, verify=False)
        for pid in simulator.project_ids(org):
            registry.add_project(team, pid, ACTOR, verify=False)
    simulator.reset_faults()
    return registry


def airflow_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({
        "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1",
        "AIRFLOW_VAR_FINOPS_SUCCESS_RATE_THRESHOLD": "0.95",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    })
    return env


def dags_test(day: date, conf: dict | None = None) -> subprocess.CompletedProcess[str]:
    argv = [str(BIN / "airflow"), "dags", "test", "openai_costs_daily", day.isoformat()]
    if conf:
        argv += ["--conf", json.dumps(conf)]
    return subprocess.run(argv, capture_output=True, text=True, env=airflow_env(), cwd=ROOT, timeout=300, check=False)


def totals(db, team: str) -> dict[tuple[date, str, str, str], Decimal]:
    rows = db.execute(
        "SELECT usage_date, project_id, line_item, currency, amount FROM finops.cost_data WHERE team_id = %s", (team,)
    ).fetchall()
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}


def expected(simulator, team: str, start: date, end: date) -> dict:
    org = TEAMS[team]
    return {k: v for k, v in simulator.expected(org, start, end, simulator.project_ids(org)).items() if v is not None}


def test_daily_run_loads_exact_totals_and_rerun_changes_nothing(teams, db, simulator):
    result = dags_test(DAY)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # As the scheduler's run at DAY 00:00: the data interval is the day before, plus 1 look-back day.
    window = (DAY - timedelta(days=2), DAY)
    for team in TEAMS:
        assert totals(db, team) == expected(simulator, team, *window), team
    first = db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone()
    runs = db.execute("SELECT team_id, status, window_start, window_end FROM finops.collection_runs ORDER BY team_id").fetchall()
    assert runs == [(t, "success", window[0], window[1]) for t in sorted(TEAMS)]
    rate = db.execute("SELECT teams_total, teams_succeeded, success_rate FROM finops.success_rates").fetchall()
    assert rate == [(4, 4, Decimal("1.0000"))]

    simulator.reset_faults()
    again = dags_test(DAY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone() == first
    for team in TEAMS:
        assert totals(db, team) == expected(simulator, team, *window)

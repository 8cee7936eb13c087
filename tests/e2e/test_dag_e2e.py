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

import psycopg
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


def dags_test(day: date, conf: dict | None = None, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    argv = [str(BIN / "airflow"), "dags", "test", "openai_costs_daily", day.isoformat()]
    if conf:
        argv += ["--conf", json.dumps(conf)]
    try:
        return subprocess.run(argv, capture_output=True, text=True, env={**airflow_env(), **(env or {})}, cwd=ROOT, timeout=int(os.environ.get("FINOPS_DAGS_TEST_TIMEOUT", "240")), check=False)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"`airflow dags test` did not finish in 240 s; its output ends with:\n{out[-4000:]}")


def totals(db, team: str) -> dict[tuple[date, str, str, str], Decimal]:
    rows = db.execute(
        "SELECT usage_date, project_id, line_item, currency, sum(amount) FROM finops.cost_data WHERE team_id = %s "
        "GROUP BY 1, 2, 3, 4", (team,)  # one row per API key: summed
    ).fetchall()
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}


def expected(simulator, team: str, start: date, end: date) -> dict:
    org = TEAMS[team]
    return {k: v for k, v in simulator.expected(org, start, end, simulator.project_ids(org)).items() if v is not None}


def run_state(db) -> tuple[str, dict[str, str]]:
    """The latest collection run's state and its task states, from Airflow's metadata database."""
    run_id = db.execute("SELECT dag_run_id FROM finops.success_rates ORDER BY computed_at DESC LIMIT 1").fetchone()[0]
    metadata = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg2", "postgresql")
    with psycopg.connect(metadata) as meta:
        state = meta.execute("SELECT state FROM dag_run WHERE dag_id = 'openai_costs_daily' AND run_id = %s",
                             (run_id,)).fetchone()[0]
        tasks = dict(meta.execute("SELECT task_id, state FROM task_instance WHERE dag_id = 'openai_costs_daily' "
                                  "AND run_id = %s AND map_index < 1", (run_id,)).fetchall())
    return state, tasks


ROLLUPS = "finops.spend_project_daily, finops.spend_project_monthly, finops.spend_model_daily"


def assert_rollups_match_cost_data(db) -> None:
    """The collect_team tasks applied every load's change: nothing pending, the rollups equal to cost_data."""
    assert db.execute("SELECT count(*) FROM finops.rollup_pending").fetchone() == (0,)
    for raw, rollup in (
        ("SELECT team_id, usage_date, project_id, sum(amount), count(*) FROM finops.cost_data GROUP BY 1, 2, 3",
         "SELECT team_id, usage_date, project_id, amount, rows FROM finops.spend_project_daily"),
        ("SELECT team_id, date_trunc('month', usage_date)::date, sum(amount) FROM finops.cost_data GROUP BY 1, 2",
         "SELECT team_id, month, sum(amount) FROM finops.spend_project_monthly GROUP BY 1, 2"),
        ("SELECT usage_date, sum(amount), count(*) FROM finops.cost_data GROUP BY 1",
         "SELECT usage_date, sum(amount), sum(rows) FROM finops.spend_model_daily GROUP BY 1"),
    ):
        assert sorted(db.execute(rollup).fetchall()) == sorted(db.execute(raw).fetchall()), rollup


@pytest.mark.timeout(900)  # two `airflow dags test` runs, beside two other sessions
def test_daily_run_loads_exact_totals_is_green_alerts_nobody_and_rerun_changes_nothing(teams, db, simulator, webhook):
    db.execute(f"TRUNCATE {ROLLUPS}")  # derived from cost_data, which the fixture emptied
    result = dags_test(DAY)  # the webhook fixture set finops_alerts in the environment
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert_rollups_match_cost_data(db)
    # As the scheduler's run at DAY 00:00: the data interval is the day before, plus 1 look-back day.
    window = (DAY - timedelta(days=2), DAY)
    for team in TEAMS:
        assert totals(db, team) == expected(simulator, team, *window), team
    first = db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone()
    runs = db.execute("SELECT team_id, status, window_start, window_end FROM finops.collection_runs ORDER BY team_id").fetchall()
    assert runs == [(t, "success", window[0], window[1]) for t in sorted(TEAMS)]
    rate = db.execute("SELECT teams_total, teams_succeeded, success_rate FROM finops.success_rates").fetchall()
    assert rate == [(4, 4, Decimal("1.0000"))]
    run_id = db.execute("SELECT dag_run_id FROM finops.success_rates").fetchone()[0]
    metadata = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg2", "postgresql")
    with psycopg.connect(metadata) as meta:
        labels = meta.execute("SELECT rendered_map_index FROM task_instance WHERE dag_id = 'openai_costs_daily' "
                              "AND task_id = 'collect_team' AND run_id = %s ORDER BY 1", (run_id,)).fetchall()
    assert [r[0] for r in labels] == sorted(TEAMS)  # each mapped instance is labelled with its team id
    # Every gate passed: the run is green, the watcher skipped, and nobody is alerted.
    state, tasks = run_state(db)
    assert state == "success" and tasks["publish_costs"] == "success" and tasks["watch_gates"] == "skipped"
    assert webhook.received == []
    assert db.execute("SELECT count(*) FROM finops.alerts").fetchone() == (0,)

    simulator.reset_faults()
    again = dags_test(DAY)
    assert again.returncode == 0, again.stdout[-3000:]
    assert db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone() == first
    for team in TEAMS:
        assert totals(db, team) == expected(simulator, team, *window)
    assert_rollups_match_cost_data(db)


@pytest.mark.timeout(900)  # two `airflow dags test` runs, beside two other sessions
def test_range_run_with_team_ids_then_an_overlapping_daily_run(teams, db, simulator):
    start, end = date(2026, 2, 1), date(2026, 2, 7)
    db.execute(f"TRUNCATE {ROLLUPS}")  # derived from cost_data, which the fixture emptied
    # Both teams in one batched task instance (finops_teams_per_task = 2), collected side by side.
    result = dags_test(DAY, {"team_ids": ["growth", "quirky"], "start_date": start.isoformat(), "end_date": end.isoformat()},
                       env={"AIRFLOW_VAR_FINOPS_TEAMS_PER_TASK": "2"})
    assert result.returncode == 0, result.stdout[-3000:]
    assert {r[0] for r in db.execute("SELECT DISTINCT team_id FROM finops.cost_data")} == {"growth", "quirky"}
    for team in ("growth", "quirky"):
        assert totals(db, team) == expected(simulator, team, start, end + timedelta(days=1))
    before = db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone()
    runs = db.execute("SELECT team_id, status, dag_run_id FROM finops.collection_runs ORDER BY team_id").fetchall()
    assert [r[:2] for r in runs] == [("growth", "success"), ("quirky", "success")] and runs[0][2] == runs[1][2]
    metadata = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg2", "postgresql")
    with psycopg.connect(metadata) as meta:
        labels = meta.execute("SELECT rendered_map_index FROM task_instance WHERE task_id = 'collect_team' "
                              "AND run_id = %s", (runs[0][2],)).fetchall()
    assert labels == [("growth .. quirky (2 teams)",)]

    # The scheduler's run of Feb 5 (collecting Feb 3-4) overlaps the range: same rows afterwards.
    daily = dags_test(date(2026, 2, 5), {"team_ids": ["growth"]})
    assert daily.returncode == 0, daily.stdout[-3000:]
    assert db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone() == before
    assert totals(db, "growth") == expected(simulator, "growth", start, end + timedelta(days=1))
    assert_rollups_match_cost_data(db)

"""``anthropic_costs_daily`` end to end: ``airflow dags test`` with range params against the real
PostgreSQL, moto's KMS and the simulator over HTTP (429s, 529s, 5xx, two pages per window)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import leaks
import pytest
import requests
from simulator_fixtures import A_FAULTY, A_HEALTHY, HEALTHY, skipped_in_log

from finops.collection import collect_team
from finops.registry import Registry
from finops.warehouse.loader import Window

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ACTOR = "cli:e2e"
#: 71 days: three pages of the cost report (31 days per page); the simulator's fault sequence for
#: anth-faulty's requests of this window holds 429s, a 500 and a 529 (deterministic after a reset).
START, END = date(2025, 12, 1), date(2026, 2, 9)
REGISTERED = {"claude": ["wrkspc_healthyChat", "default"], "bursty": ["wrkspc_faultyA", "wrkspc_faultyB"]}
ORGS = {"claude": A_HEALTHY, "bursty": A_FAULTY}


def dags_test(conf: dict) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({
        "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1",
        # Two teams of three collect: the run itself succeeds, so the revoked key is that team's failure alone.
        "AIRFLOW_VAR_FINOPS_SUCCESS_RATE_THRESHOLD": "0.5",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    })
    argv = [str(BIN / "airflow"), "dags", "test", "anthropic_costs_daily", "2026-03-01", "--conf", json.dumps(conf)]
    timeout = int(os.environ.get("FINOPS_DAGS_TEST_TIMEOUT", "240"))
    try:
        return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"`airflow dags test` did not finish in {timeout} s; its output ends with:\n{out[-4000:]}")


def expected(simulator, team: str) -> tuple[dict, dict]:
    """The simulator's own answer over HTTP: kept totals per (day, workspace, description, currency), skipped ones."""
    query = [("org_id", ORGS[team]), ("start_date", START.isoformat()),
             ("end_date", (END + timedelta(days=1)).isoformat())]
    query += [("workspace_ids[]", w) for w in REGISTERED[team]]
    body = requests.get(f"{simulator.base_url}/_simulator/anthropic/expected", params=query, timeout=30).json()
    kept = {(date.fromisoformat(r["usage_date"]), r["workspace_id"], r["description"], r["currency"]):
            Decimal(r["amount"]) for r in body["rows"]}
    return kept, {s["workspace_id"]: Decimal(s["amount"]) for s in body["skipped"]}


def loaded(db, team: str, provider: str = "anthropic") -> dict:
    rows = db.execute("SELECT usage_date, project_id, line_item, currency, sum(amount) FROM finops.cost_data "
                      "WHERE team_id = %s AND provider = %s GROUP BY 1, 2, 3, 4", (team, provider)).fetchall()
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}


@pytest.fixture
def teams(db, kms_endpoint, simulator):
    """``claude`` (both providers; one Anthropic workspace left unregistered), ``bursty`` (429/529/5xx),
    ``lapsed`` (a revoked Anthropic key) and ``webonly`` (OpenAI only: not the Anthropic DAG's)."""
    registry = Registry()
    for team, org in ORGS.items():
        registry.add_team(team, ACTOR)
        registry.register_key(team, simulator.key(org), ACTOR, verify=False, provider="anthropic")
        for scope in REGISTERED[team]:
            registry.add_project(team, scope, ACTOR, verify=False, provider="anthropic")
    registry.add_team("lapsed", ACTOR)
    registry.register_key("lapsed", simulator.key(A_HEALTHY, "revoked"), ACTOR, verify=False, provider="anthropic")
    registry.add_project("lapsed", "wrkspc_healthyChat", ACTOR, verify=False, provider="anthropic")
    for team in ("claude", "webonly"):
        if team == "webonly":
            registry.add_team(team, ACTOR)
        registry.register_key(team, simulator.key(HEALTHY), ACTOR, verify=False)
        registry.add_project(team, simulator.project_ids(HEALTHY)[0], ACTOR, verify=False)
    simulator.reset_faults()
    return registry


@pytest.mark.timeout(900)  # two `airflow dags test` runs
def test_range_run_loads_the_exact_totals_skips_unregistered_workspaces_and_fails_a_revoked_key_alone(
        teams, db, simulator):
    # OpenAI rows of the same team and days, loaded first: the Anthropic DAG must not touch them.
    collect_team("claude", Window(START, END + timedelta(days=1)), dag_run_id="openai-before")
    openai_before = loaded(db, "claude", "openai")
    assert openai_before

    conf = {"start_date": START.isoformat(), "end_date": END.isoformat()}
    result = dags_test(conf)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]

    for team in ORGS:
        kept, _ = expected(simulator, team)
        assert loaded(db, team) == kept, team  # every (day, workspace, description), to the last digit
        total = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s AND provider = 'anthropic'",
                           (team,)).fetchone()[0]
        assert total == sum(kept.values())
    assert loaded(db, "claude", "openai") == openai_before
    assert loaded(db, "webonly") == {} and loaded(db, "lapsed") == {}
    structured = db.execute("SELECT count(*) FILTER (WHERE model IS NOT NULL), count(*) FILTER (WHERE cost_type "
                            "IS NOT NULL) FROM finops.cost_data WHERE provider = 'anthropic'").fetchone()
    assert structured[0] > 0 and structured[1] > 0  # the report's structured fields are stored

    runs = db.execute("SELECT team_id, status, pages, retries, error FROM finops.collection_runs "
                      "WHERE provider = 'anthropic' ORDER BY team_id").fetchall()
    by_team = {r[0]: r for r in runs}
    assert set(by_team) == {"bursty", "claude", "lapsed"}  # webonly has nothing on Anthropic
    assert by_team["claude"][1:3] == ("success", 3)  # 71 days = three pages
    assert by_team["bursty"][1] == "success" and by_team["bursty"][3] > 0  # 429/529/5xx retried
    assert by_team["lapsed"][1] == "failed" and "--provider anthropic" in by_team["lapsed"][4]
    assert len([r for r in runs if r[0] == "lapsed"]) == 1, "a rejected key fails at once, without task retries"

    _, skipped = expected(simulator, "claude")
    assert skipped and "wrkspc_healthyAgents" in skipped
    recorded = db.execute(
        "SELECT s.scope_id, s.currency, s.amount_total FROM finops.collection_run_skipped s "
        "JOIN finops.collection_runs r USING (run_id) WHERE r.team_id = 'claude'").fetchall()
    assert {r[0]: r[2] for r in recorded} == skipped and {r[1] for r in recorded} == {"usd"}
    logs = output + task_logs()
    assert skipped_in_log(logs, "claude") == skipped
    assert "Anthropic API: HTTP 429" in logs and "Anthropic API: HTTP 529" in logs
    rate = db.execute("SELECT provider, teams_total, teams_succeeded, failed_teams FROM finops.success_rates "
                      "WHERE provider = 'anthropic'").fetchall()
    assert rate == [("anthropic", 3, 2, ["lapsed"])]

    before = db.execute("SELECT provider, count(*), sum(amount) FROM finops.cost_data GROUP BY 1 ORDER BY 1").fetchall()
    simulator.reset_faults()
    again = dags_test(conf)
    assert again.returncode == 0, (again.stdout + again.stderr)[-4000:]
    assert db.execute("SELECT provider, count(*), sum(amount) FROM finops.cost_data GROUP BY 1 ORDER BY 1"
                      ).fetchall() == before
    for team in ORGS:
        assert loaded(db, team) == expected(simulator, team)[0]

    haystack = leaks.haystack(db, [result, again])
    for org in (A_HEALTHY, A_FAULTY):
        for key in simulator.keys[org].values():
            assert key not in haystack


def task_logs() -> str:
    """The task log files of every run so far."""
    logs = Path(os.environ["AIRFLOW_HOME"]) / "logs"
    return "\n".join(p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file())



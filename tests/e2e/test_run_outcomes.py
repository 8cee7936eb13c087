"""Run state tells the truth, and every alert arrives exactly once (``airflow dags test`` end to end).

Scenarios (all good is in ``test_dag_e2e``): one team failed with the success rate above the threshold (run green, the
team alerted; the next day's success sends one recovery notice); the rate below the threshold and
data quality failed (run red, one ``run_failed`` alert naming the gate, the teams, the expectations).
The revoked key's run also checks the StatsD metrics and that the key reaches no log, XCom or table.
Alerts go to a webhook receiver on localhost through the ``finops_alerts`` connection.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import leaks
import pytest
from test_dag_e2e import (
    ACTOR,
    BIN,
    DAY,
    ROOT,
    TEAMS,
    airflow_env,
    dags_test,
    expected,
    run_state,
    totals,
)

from finops.registry import Registry
from finops.tasks import collection_deadlines_task


@pytest.fixture
def teams(db, kms_endpoint, simulator):
    registry = Registry()
    for team, org in TEAMS.items():
        registry.add_team(team, ACTOR)
        registry.register_key(team, simulator.key(org), ACTOR, verify=False)
        for pid in simulator.project_ids(org):
            registry.add_project(team, pid, ACTOR, verify=False)
    simulator.reset_faults()
    return registry


def run(day: date = DAY, extra_env: dict[str, str] | None = None, **variables: str):
    env = dict(extra_env or {})  # finops_alerts: the webhook fixture set it in the environment
    env.update({f"AIRFLOW_VAR_{k.upper()}": v for k, v in variables.items()})
    return dags_test(day, env=env)


def add_lapsed_team(registry: Registry, simulator) -> None:
    """A fifth team whose key is revoked: its collection fails permanently (401)."""
    registry.add_team("lapsed", ACTOR)
    registry.register_key("lapsed", simulator.key("org-healthy", "revoked"), ACTOR, verify=False)
    registry.add_project("lapsed", simulator.project_ids("org-healthy")[0], ACTOR, verify=False)


@pytest.mark.timeout(1500)  # three `airflow dags test` runs
def test_one_failed_team_above_the_threshold_is_green_alerts_once_late_once_and_recovers_once(
        teams, db, simulator, webhook, monkeypatch):
    add_lapsed_team(teams, simulator)
    db.execute("UPDATE finops.teams SET created_at = '2026-03-08'")  # the teams exist from the window's first day
    result = run(finops_success_rate_threshold="0.75")  # 4/5 = 0.8 passes; collects 03-08..03-09
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-3000:]
    state, tasks = run_state(db)
    assert state == "success" and tasks["publish_costs"] == "success" and tasks["alert_teams"] == "success"
    assert webhook.kinds() == ["collection_failed"]
    alert = webhook.received[0]
    assert alert["team_id"] == "lapsed" and alert["provider"] == "openai" and "re-register" in alert["text"]
    window = (DAY - timedelta(days=2), DAY)
    for team in TEAMS:
        assert totals(db, team) == expected(simulator, team, *window), team

    # Late data with a short deadline (0.5 h): at 01:00 on 03-10 the days 03-09 and 03-08 are due, and
    # lapsed has no successful collection of either: one alert per day, naming it.
    late = deadline_check("2026-03-10T01:00:00+00:00", "0.5")
    assert late.returncode == 0, late.stdout[-1500:] + late.stderr[-3000:]
    assert webhook.kinds() == ["collection_failed", "collection_late", "collection_late"]
    assert [b["period"] for b in webhook.received[1:]] == ["2026-03-09", "2026-03-08"]
    assert webhook.received[1]["teams"] == {"lapsed": None}
    assert "lapsed (collected until never)" in webhook.received[1]["text"]

    # The next day the key is fixed: one recovery notice; the failure and the late days are not repeated.
    teams.register_key("lapsed", simulator.key("org-healthy"), ACTOR, verify=False)
    simulator.reset_faults()
    again = run(DAY + timedelta(days=1), finops_success_rate_threshold="0.75")
    assert again.returncode == 0, again.stdout[-1500:] + again.stderr[-3000:]
    assert webhook.kinds()[3:] == ["collection_recovered"]
    assert webhook.received[3]["team_id"] == "lapsed" and webhook.received[3]["text"].startswith("Recovered")
    # An hour later the DAG's task (called here in-process: the DAG itself ran above) alerts no late day again.
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_COLLECTION_DEADLINE_HOURS", "0.5")
    later = collection_deadlines_task(["openai", "anthropic"], datetime(2026, 3, 10, 2, tzinfo=UTC))
    assert later == {"late_alerts": [], "deadline_hours": "0.5"}
    assert webhook.kinds().count("collection_late") == 2


@pytest.fixture
def statsd():
    """A UDP socket standing in for a StatsD server; yields (port, read_all)."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)

    def read_all() -> str:
        chunks = []
        while True:
            try:
                chunks.append(sock.recv(65536).decode())
            except BlockingIOError:
                return "\n".join(chunks)

    yield sock.getsockname()[1], read_all
    sock.close()


def test_rate_below_threshold_is_red_alerts_run_and_team_once_and_no_key_leaks(teams, db, simulator, webhook, statsd):
    """A revoked key fails its team alone (no task retries), the rate 4/5 is below 0.95: red, told once."""
    add_lapsed_team(teams, simulator)
    port, metrics = statsd
    result = run(extra_env={
        "AIRFLOW__METRICS__STATSD_ON": "True", "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
        "AIRFLOW__METRICS__STATSD_PORT": str(port), "AIRFLOW__METRICS__STATSD_PREFIX": "airflow"})
    assert result.returncode != 0
    state, tasks = run_state(db)
    assert state == "failed" and tasks["check_success_rate"] == "failed" and tasks["watch_gates"] == "failed"
    assert tasks["check_data_quality"] == "success" and tasks["publish_costs"] == "upstream_failed"
    assert sorted(webhook.kinds()) == ["collection_failed", "run_failed"]
    failure = next(b for b in webhook.received if b["kind"] == "run_failed")
    assert list(failure["failed_gates"]) == ["check_success_rate"]
    assert "80.0%" in failure["failed_gates"]["check_success_rate"]
    assert list(failure["failed_teams"]) == ["lapsed"] and "re-register" in failure["text"]
    assert "BELOW THRESHOLD" in result.stdout + result.stderr

    window = (DAY - timedelta(days=2), DAY)
    for team in TEAMS:
        assert totals(db, team) == expected(simulator, team, *window), team
    assert totals(db, "lapsed") == {}
    lapsed = db.execute("SELECT status, error FROM finops.collection_runs WHERE team_id = 'lapsed'").fetchall()
    assert len(lapsed) == 1, "a rejected key must fail at once, without task retries"
    assert lapsed[0][0] == "failed" and "re-register" in lapsed[0][1]
    rate = db.execute("SELECT teams_total, teams_succeeded, success_rate, failed_teams FROM finops.success_rates").fetchone()
    assert rate == (5, 4, Decimal("0.8000"), ["lapsed"])
    sent = metrics()
    assert "airflow.finops.collection.success_rate:0.8|g" in sent
    assert "airflow.finops.collection.teams_failed:1|g" in sent
    assert "airflow.finops.collection.team_failed" in sent and "airflow.finops.collection.rows_loaded" in sent

    haystack = leaks.haystack(db, [result])
    for org_keys in simulator.keys.values():
        for key in org_keys.values():
            assert key not in haystack


def deadline_check(at: str, hours: str):
    """``airflow dags test`` of the hourly deadline DAG at ``at`` (its data interval ends then)."""
    env = {"AIRFLOW_VAR_FINOPS_COLLECTION_DEADLINE_HOURS": hours, "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags")}
    argv = [str(BIN / "airflow"), "dags", "test", "finops_collection_deadline", at]
    return subprocess.run(argv, capture_output=True, text=True, env={**airflow_env(), **env}, cwd=ROOT,
                          timeout=240, check=False)


def test_quality_failure_is_red_and_names_the_expectation_once(teams, db, simulator, webhook):
    result = run(finops_accepted_currencies="eur")  # the simulator's rows are in usd
    assert result.returncode != 0
    state, tasks = run_state(db)
    assert state == "failed" and tasks["check_data_quality"] == "failed" and tasks["publish_costs"] == "upstream_failed"
    assert tasks["check_success_rate"] == "success" and tasks["watch_gates"] == "failed"
    assert webhook.kinds() == ["run_failed"]
    failure = webhook.received[0]
    assert list(failure["failed_gates"]) == ["check_data_quality"] and failure["failed_teams"] == {}
    assert "currency_accepted" in failure["failed_gates"]["check_data_quality"]
    assert "currency_accepted" in failure["text"]


def test_both_gates_failing_are_both_named_in_the_one_run_failed_alert(teams, db, simulator, webhook):
    """Quality fails first, then the success rate (4/5 below 0.95): one alert names both gates.

    Under a scheduler, a ``one_failed`` watcher started as soon as the quality gate failed, while the
    rate gate (which runs after it) was still running, so the alert named one gate. ``airflow dags
    test`` runs ready tasks one at a time (the rate gate first), so this run shows the alert's content;
    ``test_dag_integrity`` proves the watcher now waits for every gate.
    """
    add_lapsed_team(teams, simulator)
    result = run(finops_accepted_currencies="eur")  # the simulator's rows are in usd
    assert result.returncode != 0
    state, tasks = run_state(db)
    assert state == "failed" and tasks["watch_gates"] == "failed"
    assert tasks["check_data_quality"] == "failed" and tasks["check_success_rate"] == "failed"
    assert sorted(webhook.kinds()) == ["collection_failed", "run_failed"]
    failure = next(b for b in webhook.received if b["kind"] == "run_failed")
    assert sorted(failure["failed_gates"]) == ["check_data_quality", "check_success_rate"]
    assert "currency_accepted" in failure["failed_gates"]["check_data_quality"]
    assert "80.0%" in failure["failed_gates"]["check_success_rate"]
    assert "currency_accepted" in failure["text"] and "80.0%" in failure["text"]
    assert list(failure["failed_teams"]) == ["lapsed"]

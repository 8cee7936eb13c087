"""Task bodies of openai_costs_daily against real services: which failures retry and which fail at once."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from simulator_fixtures import HEALTHY

from finops import collection
from finops.errors import UsageError
from finops.registry import Registry
from finops.tasks import collect_teams_task

ACTOR = "cli:test"


@pytest.fixture
def registry(db, kms_endpoint, simulator):
    registry = Registry()
    registry.add_team("growth", ACTOR)
    registry.register_key("growth", simulator.key(HEALTHY), ACTOR, verify=False)
    registry.add_project("growth", simulator.project_ids(HEALTHY)[0], ACTOR, verify=False)
    return registry


def test_team_ids_param_refuses_unknown_and_deactivated_teams(registry):
    registry.add_team("old", ACTOR)
    registry.deactivate_team("old", ACTOR)
    assert collection.select_teams([]) == ["growth"]
    assert collection.select_teams(["growth", "growth"]) == ["growth"]
    with pytest.raises(UsageError, match="Unknown team ids in team_ids: ghost"):
        collection.select_teams(["growth", "ghost"])
    with pytest.raises(UsageError, match="Deactivated teams in team_ids: old"):
        collection.select_teams(["old"])


def test_a_revoked_key_fails_at_once(registry, simulator, db):
    registry.register_key("growth", simulator.key(HEALTHY, "revoked"), ACTOR, verify=False)
    with pytest.raises(AirflowFailException, match="Team growth: .*re-register"):
        collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-1")
    assert db.execute("SELECT status FROM finops.collection_runs").fetchall() == [("failed",)]


def test_a_team_without_projects_fails_at_once_with_what_to_do(registry, db):
    registry.remove_project("growth", registry.projects("growth")[0].project_id, ACTOR)
    with pytest.raises(AirflowFailException, match="no OpenAI project IDs registered"):
        collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-1")


def test_kms_unreachable_is_retried(registry, monkeypatch, db):
    monkeypatch.setenv("AIRFLOW_CONN_AWS_KMS", json.dumps({
        "conn_type": "aws", "login": "testing", "password": "testing",
        "extra": {"region_name": "us-east-1", "endpoint_url": "http://127.0.0.1:9",
                  "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1}}}))
    with pytest.raises(AirflowException, match="will retry") as excinfo:
        collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-1")
    assert not isinstance(excinfo.value, AirflowFailException)
    assert db.execute("SELECT status, error FROM finops.collection_runs").fetchone()[0] == "failed"


def test_a_successful_collection_returns_counts_only(registry, simulator, db):
    (result,) = collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-1")
    assert set(result) == {"team_id", "window_start", "window_end", "rows", "pages", "requests", "retries",
                           "amount_total"}
    assert result["rows"] == db.execute("SELECT count(*) FROM finops.cost_data").fetchone()[0] > 0
    assert simulator.key(HEALTHY) not in json.dumps(result)


def test_a_batch_collects_each_team_separately_and_a_retry_skips_the_collected(registry, simulator, db):
    registry.add_team("lapsed", ACTOR)
    registry.register_key("lapsed", simulator.key(HEALTHY, "revoked"), ACTOR, verify=False)
    registry.add_project("lapsed", simulator.project_ids(HEALTHY)[0], ACTOR, verify=False)
    with pytest.raises(AirflowFailException, match="Team lapsed: .*re-register") as excinfo:
        collect_teams_task(["growth", "lapsed"], "2026-03-01", "2026-03-03", "run-b")
    assert "growth" not in str(excinfo.value)
    runs = db.execute("SELECT team_id, status FROM finops.collection_runs ORDER BY team_id").fetchall()
    assert runs == [("growth", "success"), ("lapsed", "failed")]
    # A retry of the same batch in the same run does not collect growth again.
    with pytest.raises(AirflowFailException):
        collect_teams_task(["growth", "lapsed"], "2026-03-01", "2026-03-03", "run-b")
    assert db.execute("SELECT count(*) FROM finops.collection_runs WHERE team_id = 'growth'").fetchone()[0] == 1


def test_batches_and_labels():
    assert collection.batches(["a", "b", "c"], 1) == [["a"], ["b"], ["c"]]
    assert collection.batches(["a", "b", "c"], 2) == [["a", "b"], ["c"]]
    assert collection.batch_label(["a"]) == "a"
    assert collection.batch_label(["a", "b", "c"]) == "a .. c (3 teams)"

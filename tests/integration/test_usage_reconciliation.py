"""The usage reconciliation against the simulator over HTTP: an injected mismatch and a missing usage day are
found with both figures; it warns by default and fails as a gate with the variable."""

from __future__ import annotations

from datetime import date

import pytest
from simulator_fixtures import HEALTHY, USAGE, USAGE_MISMATCH_DAY, USAGE_MISSING_DAY

from finops import collection
from finops.quality.usage import UsageReconciliationFailed, check_usage, reconcile_usage
from finops.registry import Registry
from finops.warehouse.loader import Window

ACTOR = "cli:test"
WINDOW = Window(date(2026, 3, 1), date(2026, 3, 6))
SETTLED = date(2026, 3, 6)


@pytest.fixture
def loaded(db, kms_endpoint, simulator):
    registry = Registry()
    for team, org in (("app", USAGE), ("web", HEALTHY)):
        registry.add_team(team, ACTOR)
        registry.register_key(team, simulator.key(org), ACTOR, verify=False)
        for pid in simulator.project_ids(org):
            registry.add_project(team, pid, ACTOR, verify=False)
        collection.collect_team(team, WINDOW, dag_run_id="recon")
    return db


def test_the_mismatch_and_the_missing_day_are_found_with_both_figures(loaded):
    result = reconcile_usage(WINDOW.start, WINDOW.end, settled_before=SETTLED)
    failures = {f.name: f for f in result.failures}
    assert set(failures) == {"usage_tokens_equal_cost_quantity", "usage_complete_for_settled_days"}
    mismatch = failures["usage_tokens_equal_cost_quantity"]
    assert mismatch.unexpected_count == 1
    (row,) = mismatch.sample
    assert f"team_id=app, usage_date={USAGE_MISMATCH_DAY}" in row and "token_kind=output" in row
    figures = dict(part.split("=") for part in row.split(", "))
    assert int(figures["usage_tokens"]) - int(figures["cost_quantity"]) == 1000
    assert failures["usage_complete_for_settled_days"].sample == [f"team_id=app, usage_date={USAGE_MISSING_DAY}"]
    # the healthy organization's team reconciles
    assert reconcile_usage(WINDOW.start, WINDOW.end, team_ids=["web"], settled_before=SETTLED).success


def test_a_missing_day_not_yet_settled_is_not_reported(loaded):
    result = reconcile_usage(WINDOW.start, WINDOW.end, team_ids=["app"], settled_before=USAGE_MISSING_DAY)
    assert [f.name for f in result.failures] == ["usage_tokens_equal_cost_quantity"]


def test_it_warns_by_default_and_fails_as_a_gate(loaded, caplog):
    with caplog.at_level("WARNING", logger="finops.quality.usage"):
        assert not check_usage(WINDOW.start, WINDOW.end, ["app"], settled_before=SETTLED).success
    assert "MISMATCHES FOUND" in caplog.text
    with pytest.raises(UsageReconciliationFailed, match="finops_usage_reconciliation"):
        check_usage(WINDOW.start, WINDOW.end, ["app"], settled_before=SETTLED, setting="fail")
    assert check_usage(WINDOW.start, WINDOW.end, ["web"], settled_before=SETTLED, setting="fail").success
    assert reconcile_usage(WINDOW.start, WINDOW.end, team_ids=["app"], settled_before=SETTLED,
                           provider="anthropic").success


def test_a_usage_row_that_no_run_of_its_team_loaded_is_named(loaded):
    """usage_data has no row-level foreign keys (migration 0022): a row written around the loader for a team that does
    not exist (carrying another team's run) is named by the suite."""
    loaded.execute("INSERT INTO finops.usage_data (provider, team_id, usage_date, project_id, endpoint, collected_at, "
                   "collection_run_id) SELECT provider, 'ghost', usage_date, project_id, endpoint, collected_at, "
                   "collection_run_id FROM finops.usage_data WHERE team_id = 'web' LIMIT 1")
    result = reconcile_usage(WINDOW.start, WINDOW.end, settled_before=SETTLED)
    (orphan,) = [f for f in result.failures if f.name == "usage_rows_loaded_by_their_run"]
    assert orphan.unexpected_count == 1 and orphan.sample[0].startswith("team_id=ghost, ")
    assert reconcile_usage(WINDOW.start, WINDOW.end, team_ids=["web"], settled_before=SETTLED).success


def test_the_quality_task_reconciles_usage_beside_the_costs_suite(loaded, monkeypatch, tmp_path, caplog):
    """The DAG's quality task runs the reconciliation on a thread of its own while the costs' suite runs: it still
    warns by default, fails the task as a gate, and is logged when the costs' suite fails the task first."""
    from airflow.sdk.exceptions import AirflowFailException

    from finops.tasks import RunFacts, data_quality_task

    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    args = (["app"], WINDOW.start.isoformat(), WINDOW.end.isoformat(), "manual__recon", RunFacts(reference_date=SETTLED))
    with caplog.at_level("WARNING", logger="finops.quality.usage"):
        assert data_quality_task(*args)["success"]
    assert "MISMATCHES FOUND" in caplog.text and f"usage_date={USAGE_MISSING_DAY}" in caplog.text

    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_USAGE_RECONCILIATION", "fail")
    with pytest.raises(AirflowFailException, match="finops_usage_reconciliation") as gate:
        data_quality_task(*args)
    assert f"usage_date={USAGE_MISMATCH_DAY}" in str(gate.value)

    caplog.clear()
    loaded.execute("UPDATE finops.cost_data SET amount = -amount WHERE team_id = 'app' AND usage_date = %s",
                   (WINDOW.start,))
    with caplog.at_level("WARNING", logger="finops.quality.usage"), \
            pytest.raises(AirflowFailException, match="amount_not_negative"):
        data_quality_task(*args)  # the costs' failure is the task's, the usage verdict is still in the log
    assert "MISMATCHES FOUND" in caplog.text

"""Task bodies of openai_costs_daily against real services: which failures retry and which fail at once."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from decimal import Decimal

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from simulator_fixtures import HEALTHY, OTHER

from finops import collection
from finops.errors import UsageError
from finops.registry import Registry
from finops.tasks import RunFacts, collect_teams_task

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
                           "amount_total", "provider", "skipped_total"}
    assert (result["provider"], result["skipped_total"]) == ("openai", "0")
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
    # A retry of the same batch in the same try sequence does not collect growth again.
    with pytest.raises(AirflowFailException):
        collect_teams_task(["growth", "lapsed"], "2026-03-01", "2026-03-03", "run-b", RunFacts(retry=True))
    assert db.execute("SELECT count(*) FROM finops.collection_runs WHERE team_id = 'growth'").fetchone()[0] == 1


def test_a_thread_begins_its_next_team_before_loading_the_current_one(registry, simulator, db, monkeypatch):
    """Fetch-ahead: with one thread, each next team's key and requests are under way before the team before it is
    loaded, and a next team that cannot begin (a revoked key) fails alone, recorded as its own attempt."""
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_THREADS_PER_TASK", "1")
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_TEAM_REQUESTS_IN_FLIGHT", "4")
    for team, org, status, project in (("search", HEALTHY, "active", 1), ("lapsed", HEALTHY, "revoked", 2),
                                       ("ads", OTHER, "active", 0)):
        registry.add_team(team, ACTOR)
        registry.register_key(team, simulator.key(org, status), ACTOR, verify=False)
        registry.add_project(team, simulator.project_ids(org)[project], ACTOR, verify=False)
    with pytest.raises(AirflowFailException, match="Team lapsed: .*re-register") as excinfo:
        collect_teams_task(["growth", "search", "lapsed", "ads"], "2026-03-01", "2026-03-03", "run-ahead")
    assert "growth" not in str(excinfo.value) and "ads" not in str(excinfo.value)
    runs = db.execute("SELECT team_id, status, started_at, finished_at FROM finops.collection_runs "
                      "ORDER BY started_at").fetchall()
    assert [(r[0], r[1]) for r in runs] == [("growth", "success"), ("search", "success"), ("lapsed", "failed"),
                                            ("ads", "success")]
    for current, following in zip(runs, runs[1:], strict=False):  # begun before the one before was loaded
        assert following[2] < current[3], (current[0], following[0])
    totals = dict(db.execute("SELECT team_id, count(*) FROM finops.cost_data GROUP BY 1").fetchall())
    assert set(totals) == {"growth", "search", "ads"} and all(totals.values())
    usage = dict(db.execute("SELECT team_id, count(*) FROM finops.usage_data GROUP BY 1").fetchall())
    assert set(usage) == {"growth", "search", "ads"}


def test_a_cleared_batch_collects_every_team_again(registry, simulator, db):
    """Item 3 of issue 18: an Airflow Clear keeps the run_id but starts a new try sequence."""
    registry.add_team("search", ACTOR)
    registry.register_key("search", simulator.key(HEALTHY), ACTOR, verify=False)
    registry.add_project("search", simulator.project_ids(HEALTHY)[1], ACTOR, verify=False)
    collect_teams_task(["growth", "search"], "2026-03-01", "2026-03-03", "run-c")
    # First try after a Clear (not a retry): both teams are collected again, as the user asked.
    collect_teams_task(["growth", "search"], "2026-03-01", "2026-03-03", "run-c", RunFacts(retry=False))
    counts = db.execute("SELECT team_id, count(*) FROM finops.collection_runs WHERE status = 'success' "
                        "GROUP BY 1 ORDER BY 1").fetchall()
    assert counts == [("growth", 2), ("search", 2)]
    # A retry skips only the teams whose latest attempt in the run succeeded.
    collect_teams_task(["growth", "search"], "2026-03-01", "2026-03-03", "run-c", RunFacts(retry=True))
    assert db.execute("SELECT count(*) FROM finops.collection_runs").fetchone()[0] == 4


def test_a_short_answer_for_settled_days_fails_the_team_unless_allowed(registry, simulator, db):
    """Item 2 of issue 18: the drop guard against what was loaded before, and the allow_drops param."""
    from datetime import UTC, date, datetime

    from finops.costs.client import CostsClient
    from finops.warehouse.loader import Window, replace_window

    window = Window(date(2026, 3, 1), date(2026, 3, 3))
    facts = RunFacts(reference_date=date(2026, 3, 10))  # a rerun long after: every day of the window is settled
    api_rows = list(CostsClient().costs(simulator.key(HEALTHY), window.start, window.end,
                                        [p.project_id for p in registry.projects("growth")]))
    tripled = [r._replace(amount=r.amount * 3) for r in api_rows]
    replace_window("growth", window, iter(tripled), dag_run_id="earlier", started_at=datetime.now(UTC))
    before = db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone()

    with pytest.raises(AirflowFailException, match=r"Team growth: The Costs API now reports more than 50% less "
                                                   r"for settled days .*2026-03-01 usd .* -> .*allow_drops") as exc:
        collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-d", facts)
    assert "2026-03-02 usd" in str(exc.value)
    assert db.execute("SELECT count(*), sum(amount) FROM finops.cost_data").fetchone() == before
    failed = db.execute("SELECT status, error FROM finops.collection_runs WHERE dag_run_id = 'run-d'").fetchall()
    assert len(failed) == 1 and failed[0][0] == "failed" and "2026-03-01 usd" in failed[0][1]

    # Days not yet settled for the run (reference date right after the window) are not guarded.
    (result,) = collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-e",
                                   RunFacts(reference_date=date(2026, 3, 3)))
    assert Decimal(result["amount_total"]) == before[1] / 3

    # A variable that lets days drop entirely, or a manual run with allow_drops, loads the answer.
    replace_window("growth", window, iter(tripled), dag_run_id="earlier", started_at=datetime.now(UTC))
    monkeypatch_env = {"AIRFLOW_VAR_FINOPS_MAX_SETTLED_DROP": "0.7"}
    with _env(monkeypatch_env):
        (result,) = collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-f", facts)
    assert Decimal(result["amount_total"]) == before[1] / 3
    replace_window("growth", window, iter(tripled), dag_run_id="earlier", started_at=datetime.now(UTC))
    (result,) = collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-g",
                                   RunFacts(reference_date=date(2026, 3, 10), allow_drops=True))
    assert db.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0] == before[1] / 3


def test_a_malformed_max_settled_drop_fails_at_once(registry):
    with _env({"AIRFLOW_VAR_FINOPS_MAX_SETTLED_DROP": "half"}), \
            pytest.raises(AirflowFailException, match="finops_max_settled_drop` is 'half'; set it to a share"):
        collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-h")


@contextmanager
def _env(values: dict[str, str]):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_batches_and_labels():
    assert collection.batches(["a", "b", "c"], 1) == [["a"], ["b"], ["c"]]
    assert collection.batches(["a", "b", "c"], 2) == [["a", "b"], ["c"]]
    assert collection.batch_label(["a"]) == "a"
    assert collection.batch_label(["a", "b", "c"]) == "a .. c (3 teams)"


def rollups_match_cost_data(db) -> bool:
    """spend_project_daily and spend_model_daily hold exactly cost_data's sums (every team, every day)."""
    checks = (
        ("SELECT team_id, usage_date, project_id, sum(amount), count(*) FROM finops.cost_data GROUP BY 1, 2, 3",
         "SELECT team_id, usage_date, project_id, amount, rows FROM finops.spend_project_daily"),
        ("SELECT c.usage_date, d.model, d.token_kind, sum(c.amount), count(*) FROM finops.cost_data c "
         "JOIN finops.line_items d USING (provider, line_item) GROUP BY 1, 2, 3",
         "SELECT usage_date, model, token_kind, sum(amount), sum(rows) FROM finops.spend_model_daily GROUP BY 1, 2, 3"),
    )
    return all(sorted(db.execute(a).fetchall(), key=repr) == sorted(db.execute(b).fetchall(), key=repr)
               for a, b in checks)


def test_a_task_applies_its_loads_rollup_changes_and_a_retry_repairs_a_killed_try(registry, simulator, db,
                                                                                   monkeypatch):
    from finops.analytics.rollups import RollupBatch

    db.execute("TRUNCATE finops.spend_project_daily, finops.spend_project_monthly, finops.spend_model_daily")
    registry.add_team("search", ACTOR)
    registry.register_key("search", simulator.key(HEALTHY), ACTOR, verify=False)
    registry.add_project("search", simulator.project_ids(HEALTHY)[1], ACTOR, verify=False)
    collect_teams_task(["growth", "search"], "2026-03-01", "2026-03-03", "run-r")
    assert db.execute("SELECT count(*) FROM finops.spend_project_daily").fetchone()[0] > 0
    assert rollups_match_cost_data(db)

    # The next day's try is killed after its loads committed, before their changes were applied.
    def killed(self):
        raise SystemExit("SIGKILL")

    monkeypatch.setattr(RollupBatch, "flush", killed)
    with pytest.raises(SystemExit):
        collect_teams_task(["growth", "search"], "2026-03-02", "2026-03-04", "run-s")
    monkeypatch.undo()
    assert db.execute("SELECT count(*) FROM finops.rollup_pending").fetchone()[0] == 2
    assert not rollups_match_cost_data(db)  # the new day is loaded but not in the rollups yet
    # Its retry skips both teams (collected) and recomputes what the killed try left pending.
    assert collect_teams_task(["growth", "search"], "2026-03-02", "2026-03-04", "run-s", RunFacts(retry=True)) == []
    assert db.execute("SELECT count(*) FROM finops.rollup_pending").fetchone()[0] == 0
    assert rollups_match_cost_data(db)


def test_a_rollup_update_failing_after_the_loads_is_one_sentence_and_retried(registry, simulator, db, monkeypatch):
    import psycopg

    from finops.analytics.rollups import RollupBatch

    def refused(self):
        raise psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction")

    monkeypatch.setattr(RollupBatch, "flush", refused)
    with pytest.raises(AirflowException) as excinfo:
        collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-t")
    assert not isinstance(excinfo.value, AirflowFailException)  # retried
    assert str(excinfo.value) == (
        "The teams' costs are loaded, but the spend rollups could not be updated (cannot execute INSERT in a "
        "read-only transaction); the task will retry and recompute them; if it persists, check that the warehouse "
        "runs and accepts writes.")
    assert db.execute("SELECT status FROM finops.collection_runs").fetchall() == [("success",)]


def test_publish_costs_recomputes_loads_no_task_applied_before_the_asset_event(registry, simulator, db, monkeypatch):
    from finops.analytics.rollups import RollupBatch
    from finops.assets import COST_DATA
    from finops.tasks import publish_costs_task

    db.execute("TRUNCATE finops.spend_project_daily, finops.spend_project_monthly, finops.spend_model_daily")

    # The collect_team task's tries all failed after the loads committed: its retries are spent.
    def refused(self):
        raise SystemExit("SIGKILL")

    monkeypatch.setattr(RollupBatch, "flush", refused)
    with pytest.raises(SystemExit):
        collect_teams_task(["growth"], "2026-03-01", "2026-03-03", "run-p")
    monkeypatch.undo()
    assert not rollups_match_cost_data(db)

    class Event:
        extra = None

    events = {COST_DATA: Event()}
    extra = publish_costs_task("openai", "2026-03-01", "2026-03-03", "run-p", events)
    assert db.execute("SELECT count(*) FROM finops.rollup_pending").fetchone() == (0,)
    assert rollups_match_cost_data(db)
    assert events[COST_DATA].extra == extra and extra["teams"] == ["growth"]


def test_publish_costs_holds_the_asset_event_back_when_the_rollups_cannot_be_updated(registry, simulator, db,
                                                                                     monkeypatch):
    import psycopg

    from finops.analytics import rollups
    from finops.assets import COST_DATA
    from finops.tasks import publish_costs_task

    def refused(*args):
        raise psycopg.errors.ReadOnlySqlTransaction("cannot execute UPDATE in a read-only transaction")

    monkeypatch.setattr(rollups, "repair_orphans", refused)

    class Event:
        extra = None

    events = {COST_DATA: Event()}
    with pytest.raises(AirflowException, match=r"could not be updated \(cannot execute UPDATE in a read-only "
                                               r"transaction\); the Asset event is held back"):
        publish_costs_task("openai", "2026-03-01", "2026-03-03", "run-q", events)
    assert events[COST_DATA].extra is None

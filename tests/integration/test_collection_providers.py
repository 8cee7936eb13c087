"""Collection per provider against real services: which teams each DAG collects, Anthropic loads with
skipped workspaces recorded, and the two providers' loads of one team neither touch nor block each other."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest
from simulator_fixtures import A_HEALTHY, HEALTHY, skipped_in_log

from finops import collection, paths
from finops.registry import Registry
from finops.tasks import collect_teams_task
from finops.warehouse.loader import Window

ACTOR = "cli:test"
START, END = date(2026, 3, 1), date(2026, 3, 4)
WINDOW = Window(START, END)


@pytest.fixture
def registry(db, kms_endpoint, simulator):
    """``growth`` (OpenAI), ``claude`` (both; one Anthropic workspace left out), ``anthonly``, ``bare``."""
    registry = Registry()
    for team in ("growth", "claude", "anthonly", "bare"):
        registry.add_team(team, ACTOR)
    for team in ("growth", "claude"):
        registry.register_key(team, simulator.key(HEALTHY), ACTOR, verify=False)
        registry.add_project(team, simulator.project_ids(HEALTHY)[0], ACTOR, verify=False)
    for team in ("claude", "anthonly"):
        registry.register_key(team, simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
        for scope in ("wrkspc_healthyChat", "default"):
            registry.add_project(team, scope, ACTOR, verify=False, provider="anthropic")
    simulator.reset_faults()
    return registry


def test_each_provider_collects_its_teams_and_a_team_with_nothing_belongs_to_openai(registry):
    assert collection.select_teams([], "openai") == ["bare", "claude", "growth"]
    assert collection.select_teams([], "anthropic") == ["anthonly", "claude"]


def test_an_anthropic_load_records_skipped_workspaces_and_leaves_openai_rows(registry, simulator, db, caplog):
    collect_teams_task(["claude"], START.isoformat(), END.isoformat(), "run-1")
    openai_rows = db.execute("SELECT count(*), sum(amount) FROM finops.cost_data WHERE provider = 'openai'").fetchone()
    assert openai_rows[0] > 0

    with caplog.at_level("WARNING", logger="finops.collection"):
        results = collect_teams_task(["claude"], START.isoformat(), END.isoformat(), "run-1", provider="anthropic")
    kept, skipped = simulator.anthropic_expected(A_HEALTHY, START, END, ["wrkspc_healthyChat", "default"])
    loaded = db.execute("SELECT usage_date, project_id, line_item, currency, sum(amount) FROM finops.cost_data "
                        "WHERE provider = 'anthropic' AND team_id = 'claude' GROUP BY 1, 2, 3, 4").fetchall()
    assert {(r[0], r[1], r[2], r[3]): r[4] for r in loaded} == kept
    assert results[0]["provider"] == "anthropic"
    assert Decimal(results[0]["skipped_total"]) == sum(skipped.values()) > 0
    recorded = db.execute("SELECT s.scope_id, s.amount_total FROM finops.collection_run_skipped s "
                          "JOIN finops.collection_runs r USING (run_id) WHERE r.provider = 'anthropic'").fetchall()
    assert dict(recorded) == skipped
    assert skipped_in_log(caplog.text, "claude") == skipped
    assert db.execute("SELECT count(*), sum(amount) FROM finops.cost_data WHERE provider = 'openai'"
                      ).fetchone() == openai_rows
    details = db.execute("SELECT provider, count(model), count(cost_type) FROM finops.cost_data GROUP BY 1 "
                         "ORDER BY 1").fetchall()
    assert details[1][1:] == (0, 0) and details[0][1] > 0 and details[0][2] > 0  # anthropic first, openai null

    # One DAG run id in both DAGs: each provider's outcomes and success rate stand apart.
    rates = {p: collection.success_rate("run-1", ["claude", "anthonly"], WINDOW, Decimal("0.95"), p) for p in
             ("openai", "anthropic")}
    assert rates["anthropic"].failed == {"anthonly": "no attempt recorded (the task did not run or crashed)"}
    assert set(rates["openai"].failed) == {"anthonly"}  # openai collected only claude in run-1
    assert db.execute("SELECT provider, teams_succeeded FROM finops.success_rates ORDER BY 1").fetchall() == [
        ("anthropic", 1), ("openai", 1)]
    assert collection.silent_projects("claude", WINDOW, "anthropic") == []


def test_a_team_without_workspaces_is_told_the_anthropic_command(registry, db):
    registry.remove_project("anthonly", "wrkspc_healthyChat", ACTOR, provider="anthropic")
    registry.remove_project("anthonly", "default", ACTOR, provider="anthropic")
    with pytest.raises(collection.NoProjectsRegistered,
                       match=r"no Anthropic workspace IDs registered.*finops projects add anthonly wrkspc_\.\.\. "
                             r"--provider anthropic"):
        collection.collect_team("anthonly", WINDOW, dag_run_id="run-2", provider="anthropic")
    assert db.execute("SELECT provider, status FROM finops.collection_runs").fetchall() == [("anthropic", "failed")]


def test_a_held_openai_lock_does_not_block_the_teams_anthropic_load(registry, warehouse, db):
    """An OpenAI load of claude holding its lock (open transaction) does not stop an Anthropic load of claude."""
    done = threading.Event()
    errors: list[BaseException] = []

    def anthropic_load():
        try:
            collection.collect_team("claude", WINDOW, dag_run_id="run-3", provider="anthropic")
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            done.set()

    with psycopg.connect(warehouse) as holder:
        holder.execute(paths.sql("collection/lock_team"), {"provider": "openai", "team_id": "claude"})
        worker = threading.Thread(target=anthropic_load, daemon=True)
        worker.start()
        finished = done.wait(timeout=120)
        holder.rollback()
    worker.join(timeout=120)
    assert finished and not errors, errors
    assert db.execute("SELECT count(*) FROM finops.cost_data WHERE provider = 'anthropic'").fetchone()[0] > 0


def test_quality_checks_each_providers_completeness_apart(registry, db):
    from finops.quality import validate_window

    collection.collect_team("claude", WINDOW, dag_run_id="run-4")  # OpenAI only
    openai = validate_window(START, END, team_ids=["claude"], settle_days=0, today=END + timedelta(days=5),
                             currencies=["usd"])
    anthropic = validate_window(START, END, team_ids=["claude"], settle_days=0, today=END + timedelta(days=5),
                                currencies=["usd"], provider="anthropic")
    assert openai.success, openai.summary()
    assert not anthropic.success  # the OpenAI run does not make Anthropic's days collected
    assert "day" in anthropic.summary().lower()

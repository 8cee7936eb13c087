"""A simulator scenario collected over HTTP by the real collection code, then the spend-alerts task bodies.

The ``org-story`` scenario (tests/simulator_fixtures.py): a weekday pattern, a ramp from mid-February
and a 4x spike on 2026-03-05 that the simulator later restates. The alerts must fire the spike, warn
by forecast before the March budget is spent, and never resend after the restatement.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from alert_receivers import WebhookReceiver
from simulator_fixtures import STORY, STORY_SPIKE

from finops import collection
from finops.alerts import budgets
from finops.alerts.tasks import deliver_task, evaluate_task, plan_scope_task
from finops.assets import COST_DATA
from finops.registry import Registry
from finops.warehouse.loader import Window

ACTOR = "cli:test"
TEAM = "story"
FIRST, AS_OF = date(2026, 2, 1), date(2026, 3, 15)


class Event:
    """What Airflow hands a task as one triggering asset event (only ``extra`` is read)."""

    def __init__(self, extra: dict):
        self.extra = extra


@pytest.fixture
def story(db, kms_endpoint, simulator, monkeypatch):
    receiver = WebhookReceiver().start()
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_ALERTS", json.dumps({"conn_type": "http", "host": receiver.url}))
    registry = Registry()
    registry.add_team(TEAM, ACTOR)
    registry.register_key(TEAM, simulator.key(STORY), ACTOR, verify=False)
    for pid in simulator.project_ids(STORY):
        registry.add_project(TEAM, pid, ACTOR, verify=False)
    simulator.restate(STORY, 0)
    try:
        yield receiver
    finally:
        simulator.restate(STORY, 0)
        receiver.stop()


def _collect_and_evaluate(run_id: str, window: Window) -> dict:
    """One collection of the window (HTTP, KMS, loader), then the alerts DAG's evaluation of its asset event."""
    assert collection.collect_team(TEAM, window, dag_run_id=run_id).rows > 0
    extra = collection.collected_summary("openai", run_id, window)
    scope = plan_scope_task({COST_DATA: [Event(extra)]}, None, datetime(2026, 3, 15, 1, tzinfo=UTC))
    return evaluate_task(scope)


def _alerts(db) -> set[tuple]:
    return set(db.execute("SELECT kind, scope, period, threshold FROM finops.alerts").fetchall())


def test_the_scenario_fires_its_spike_and_the_forecast_first_and_its_restatement_sends_nothing(story, simulator, db):
    def month_to_date() -> Decimal:
        return db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s AND usage_date >= "
                          "'2026-03-01' AND usage_date < %s", (TEAM, AS_OF)).fetchone()[0]

    # The March budget: what the first half of March cost, x 1.6 (the ramp's pace spends it by month-end).
    collection.collect_team(TEAM, Window(date(2026, 3, 1), AS_OF), dag_run_id="story-probe")
    budget = (month_to_date() * Decimal("1.6")).quantize(Decimal(1))
    budgets.set_budget(TEAM, str(budget), "test", today=date(2026, 3, 1))

    first = _collect_and_evaluate("story-1", Window(FIRST, AS_OF))
    assert first["fired"]["spend_anomaly"] >= 1
    alerts = _alerts(db)
    spike = ("spend_anomaly", "team", STORY_SPIKE.isoformat(), None)
    assert spike in alerts
    assert {a for a in alerts if a[0] == "spend_anomaly" and a[1] == "team"} == {spike}  # the ramp is no anomaly
    assert ("budget_forecast", "team", "2026-03", Decimal(100)) in alerts
    assert ("budget_threshold", "team", "2026-03", Decimal(100)) not in alerts
    assert month_to_date() < budget  # warned by forecast while the actual spend is below the budget
    value = db.execute("SELECT value FROM finops.alerts WHERE kind = 'spend_anomaly' AND scope = 'team'").fetchone()[0]
    served = sum(simulator.expected(STORY, STORY_SPIKE, date(2026, 3, 6)).values())
    assert value == served == db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s AND "
                                         "usage_date = %s", (TEAM, STORY_SPIKE)).fetchone()[0]
    sent = deliver_task()["delivered"]
    assert sent and len(story.received) == len(sent)

    # The spike day is restated (1.5x) and collected again: the same alerts hold, nothing new is recorded or sent.
    assert simulator.restate(STORY) == 1
    again = _collect_and_evaluate("story-2", Window(date(2026, 3, 1), AS_OF))
    restated = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s AND usage_date = %s",
                          (TEAM, STORY_SPIKE)).fetchone()[0]
    assert restated == sum(simulator.expected(STORY, STORY_SPIKE, date(2026, 3, 6), revision=1).values()) != served
    assert again["new"] == [] and again["alerts"] > 0
    assert _alerts(db) == alerts
    assert deliver_task()["delivered"] == [] and len(story.received) == len(sent)

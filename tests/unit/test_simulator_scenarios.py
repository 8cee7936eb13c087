"""The simulator's named scenarios: spikes on known days, weekday seasonality, a ramp, a restated day."""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from finops.alerts.anomalies import AnomalyRule, baseline, is_anomalous
from finops.alerts.forecast import forecast_month
from finops.simulator import create_app
from finops.simulator.anthropic_data import expected_anthropic_costs
from finops.simulator.config import (
    AdminKey,
    AnthropicKey,
    AnthropicOrganization,
    Organization,
    ProjectConfig,
    Scenario,
    SimulatorConfig,
    WorkspaceConfig,
    random_anthropic_key,
    random_key,
)
from finops.simulator.data import expected_costs
from finops.simulator.scenarios import scenario_series

YEAR = (date(2025, 1, 1), date(2026, 1, 1))
RULE = AnomalyRule()  # the alerts' defaults: 3x the median, 50 above it, MAD z 5


def _daily(scenario: Scenario, seed: int = 5, revision: int = 0) -> dict[date, Decimal]:
    return {d.day: d.amount for d in scenario_series(scenario, seed, *YEAR, revision=revision)}


def test_a_name_or_a_mapping_selects_a_preset_and_fields_override_it():
    assert Scenario.model_validate("spikes").spike_days[0] == date(2025, 2, 15)
    ramp = Scenario.model_validate({"preset": "ramp", "typical": 10, "origin": "2026-01-01"})
    assert (ramp.typical, ramp.ramp_start, ramp.ramp_per_day) == (10, date(2026, 2, 1), 0.02)
    with pytest.raises(ValidationError, match="preset"):
        Scenario.model_validate("bursty")


def test_spikes_fall_on_their_known_days_and_the_alert_rule_flags_those_days_alone():
    scenario = Scenario.model_validate("spikes")
    days = scenario_series(scenario, 5, *YEAR)
    daily = {d.day: d.amount for d in days}
    assert [d.day for d in days if d.spike] == scenario.spike_days
    flagged = []
    for day in sorted(daily):
        base = baseline(daily, day, first_day=YEAR[0], before=day)
        if base is not None and is_anomalous(daily[day], base, RULE):
            flagged.append(day)
        if day in scenario.spike_days:  # at least 3x the team's typical day and the minimum amount above it
            assert daily[day] >= 3 * base.median and daily[day] - base.median >= RULE.min_amount
    assert flagged == scenario.spike_days


def test_steady_spend_has_its_weekday_pattern_and_repeats_exactly():
    scenario = Scenario.model_validate("steady")
    daily = _daily(scenario)
    assert daily == _daily(scenario) and daily != _daily(scenario, seed=6)
    weekdays = [float(v) for d, v in daily.items() if d.weekday() < 5]
    weekends = [float(v) for d, v in daily.items() if d.weekday() >= 5]
    assert statistics.mean(weekends) / statistics.mean(weekdays) == pytest.approx(scenario.weekend_factor, rel=0.05)
    assert statistics.mean(weekdays) == pytest.approx(scenario.typical, rel=0.05)
    assert max(weekdays) < 1.5 * scenario.typical  # a steady baseline: no day near a spike


def test_a_ramp_crosses_a_budget_by_forecast_days_before_the_actual_spend_does():
    scenario = Scenario.model_validate("ramp")
    daily = _daily(scenario)
    month, end = date(2025, 3, 1), date(2025, 4, 1)
    month_total = sum(v for d, v in daily.items() if month <= d < end)
    budget = (month_total * Decimal("0.9")).quantize(Decimal(1))
    forecast_crosses = actual_crosses = None
    for n in range(3, 31):
        as_of = month + timedelta(days=n)
        fc = forecast_month(daily, month, as_of, lookback_days=2, budget=budget)
        if forecast_crosses is None and fc.projected is not None and fc.projected >= budget:
            forecast_crosses = as_of
        if actual_crosses is None and fc.actual >= budget:
            actual_crosses = as_of
    assert forecast_crosses is not None and actual_crosses is not None
    assert (actual_crosses - forecast_crosses).days >= 7
    assert daily[date(2025, 3, 31)] > Decimal("1.5") * daily[date(2025, 2, 3)]  # it is the ramp that crosses, not noise


def _config(scenario: str):
    keys = {"openai": random_key(), "anthropic": random_anthropic_key()}
    config = SimulatorConfig(
        organizations=[Organization(id="org-story", seed=9, keys=[AdminKey(key=keys["openai"])], scenario=scenario,
                                    projects=[ProjectConfig(id="proj_a", name="a"), ProjectConfig(id="proj_b", name="b")])],
        anthropic_organizations=[AnthropicOrganization(id="anth-story", seed=9, scenario=scenario,
                                                       keys=[AnthropicKey(key=keys["anthropic"])],
                                                       workspaces=[WorkspaceConfig(id="wrkspc_a", name="a")])])
    return config, keys


def test_both_providers_serve_the_scenario_total_spread_over_their_scopes():
    config, _ = _config("spikes")
    scenario = config.organizations[0].scenario
    for day, value in _daily(scenario, seed=9).items():
        if day.month != 2:
            continue
        nxt = day + timedelta(days=1)
        openai = sum(expected_costs(config, "org-story", day, nxt).values())
        anthropic = sum(expected_anthropic_costs(config, "anth-story", day, nxt)[0].values())
        assert openai == pytest.approx(value, abs=Decimal("0.0001"))
        assert abs(anthropic - value) <= Decimal("0.0001")


def test_a_restated_day_changes_between_two_collections_and_only_that_day():
    config, keys = _config("restated")
    day = config.organizations[0].scenario.restated_day
    client = TestClient(create_app(config))
    window = {"start_date": (day - timedelta(days=2)).isoformat(), "end_date": (day + timedelta(days=2)).isoformat()}

    def served() -> tuple[dict, dict]:
        openai = client.get("/v1/organization/costs", headers={"Authorization": f"Bearer {keys['openai']}"}, params={
            "start_time": 1735689600 + 86400 * (day - date(2025, 1, 1)).days - 2 * 86400, "limit": 4,
            "group_by": ["project_id", "line_item"]}).json()
        anthropic = client.get("/v1/organizations/cost_report", headers={
            "x-api-key": keys["anthropic"], "anthropic-version": "2023-06-01"}, params={
            "starting_at": f"{day - timedelta(days=2)}T00:00:00Z", "limit": 4,
            "group_by[]": ["workspace_id", "description"]}).json()
        return ({b["start_time"]: sum(Decimal(repr(r["amount"]["value"])) for r in b["results"]) for b in openai["data"]},
                {b["starting_at"][:10]: sum(Decimal(r["amount"]) for r in b["results"]) for b in anthropic["data"]})

    first_openai, first_anthropic = served()
    answer = client.post("/_simulator/restate", params={"org_id": "org-story"}).json()
    assert answer == {"org_id": "org-story", "revision": 1, "restated_day": day.isoformat()}
    client.post("/_simulator/restate", params={"org_id": "anth-story"}).raise_for_status()
    second_openai, second_anthropic = served()
    stamp = 1735689600 + 86400 * (day - date(2025, 1, 1)).days
    changed = {k for k in first_openai if first_openai[k] != second_openai[k]}
    assert changed == {stamp} and second_openai[stamp] == pytest.approx(first_openai[stamp] * Decimal("1.5"), abs=Decimal("0.00001"))
    assert {k for k in first_anthropic if first_anthropic[k] != second_anthropic[k]} == {day.isoformat()}
    # The expected totals follow the revision, and revision 0 serves the day as first served again.
    expected = client.get("/_simulator/expected", params={"org_id": "org-story", **window}).json()
    assert Decimal(expected["total"]) == pytest.approx(sum(second_openai.values()), abs=Decimal("0.0001"))
    client.post("/_simulator/restate", params={"org_id": "org-story", "revision": 0}).raise_for_status()
    assert served()[0] == first_openai


def test_restating_needs_a_scenario_with_a_restated_day():
    config, _ = _config("spikes")
    client = TestClient(create_app(config))
    answer = client.post("/_simulator/restate", params={"org_id": "org-story"})
    assert answer.status_code == 400 and "restated_day" in answer.json()["error"]["message"]
    assert client.post("/_simulator/restate", params={"org_id": "org-nope"}).status_code == 404

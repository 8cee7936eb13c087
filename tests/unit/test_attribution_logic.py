"""Pure logic of attribution: the exact allocation rule, Anthropic's allocation, redacted forms, runaway keys."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from finops.alerts.anomalies import AnomalyRule
from finops.alerts.keys import KeyInfo, KeySeries, judge_keys
from finops.alerts.rules import AlertRules
from finops.attribution.allocation import allocate_rows
from finops.attribution.models import redacted_form
from finops.costs.models import CostRow
from finops.money import allocate, exact_sum
from finops.usage.models import UsageRow

DAY = date(2026, 3, 10)


@pytest.mark.parametrize(("amount", "weights"), [
    (Decimal("0.13080438340307526"), [1, 1, 1]), (Decimal("1.2378912"), [7, 3]), (Decimal("100"), [1, 2, 3, 4]),
    (Decimal("-5.5"), [2, 1]), (Decimal("0.0000000001"), [1, 1]), (Decimal("123456789.123456789"), [999, 1, 0]),
])
def test_allocation_keeps_the_total_exact(amount, weights):
    parts = allocate(amount, weights)
    assert exact_sum(parts) == amount
    assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


def test_allocation_rule_is_largest_remainder_at_ten_places_ties_to_the_first():
    assert allocate(Decimal(1), [1, 1, 1]) == [Decimal("0.3333333334"), Decimal("0.3333333333"),
                                                Decimal("0.3333333333")]
    assert allocate(Decimal(10), [1, 1, 1], places=0) == [4, 3, 3]
    with pytest.raises(ValueError):
        allocate(Decimal(1), [0, 0])


def cost(description: str, amount: str, token_type: str | None, model: str | None = "claude-x") -> CostRow:
    return CostRow(DAY, "wrkspc_a", description, "usd", Decimal(amount), None, None, None, model, token_type)


def test_anthropic_token_costs_are_split_by_the_keys_tokens_of_that_kind_and_marked():
    usage = [UsageRow(DAY, "wrkspc_a", "messages", "apikey_a", "claude-x", output_tokens=300, input_tokens=10),
             UsageRow(DAY, "wrkspc_a", "messages", "apikey_b", "claude-x", output_tokens=100, input_tokens=0),
             UsageRow(DAY, "wrkspc_a", "messages", None, "claude-x", output_tokens=100)]
    rows = [cost("Out", "1.00000001", "output_tokens"), cost("In", "0.5", "uncached_input_tokens"),
            cost("Web Search Usage", "0.07", None, None), cost("Other model", "2", "output_tokens", "claude-y")]
    out = list(allocate_rows(rows, usage))
    outs = [(r.api_key_id, r.amount, r.allocated) for r in out if r.line_item == "Out"]
    assert outs == [("apikey_a", Decimal("0.6000000060"), True), ("apikey_b", Decimal("0.2000000020"), True),
                    (None, Decimal("0.2000000020"), True)]
    assert [(r.api_key_id, r.amount, r.allocated) for r in out if r.line_item == "In"] == [
        ("apikey_a", Decimal("0.5000000000"), True)]
    untouched = [r for r in out if r.line_item in ("Web Search Usage", "Other model")]
    assert [(r.api_key_id, r.allocated) for r in untouched] == [(None, False), (None, False)]
    assert exact_sum(r.amount for r in out) == exact_sum(r.amount for r in rows)


@pytest.mark.parametrize(("value", "kept"), [
    ("sk-proj-****abcd", True), ("sk-ant-api03-R2D...igAA", True), ("sk-abc...xyz", True),
    ("sk-proj-" + "a" * 40, False), ("sk-ant-api03-" + "b" * 80 + "AA", False), (None, False), (12, False),
])
def test_only_a_redacted_form_of_a_key_is_kept(value, kept):
    assert redacted_form(value) == (value if kept else None)


RULES = AlertRules(lookback_days=2, anomaly=AnomalyRule(factor=Decimal(3), min_amount=Decimal(50)))
INFO = KeyInfo("nightly-batch", "sk-proj-****abcd", "batch-runner", "proj_web")


def test_a_key_spike_fires_once_naming_the_key_owner_and_project():
    daily = {DAY - timedelta(days=n): Decimal(20) for n in range(1, 40)}
    daily[DAY] = Decimal(400)
    series = {("web", "openai", "api_key:key_x", "usd"): KeySeries(INFO, daily)}
    verdicts = judge_keys(series, [DAY], DAY + timedelta(days=5), RULES)
    alerts = [v.alert for v in verdicts if v.alert]
    assert len(alerts) == 1 and alerts[0].scope == "api_key:key_x" and alerts[0].period == DAY.isoformat()
    for words in ("nightly-batch", "sk-proj-****abcd", "owner batch-runner", "project proj_web", "20.0x"):
        assert words in alerts[0].message
    judged = {(v.series, v.judgement.day) for v in verdicts}
    assert judge_keys(series, [DAY], DAY + timedelta(days=5), RULES, judged) == []  # judged once


def test_a_key_quiet_for_28_days_that_spends_the_minimum_fires_and_a_small_one_does_not():
    old = {DAY - timedelta(days=n): Decimal(5) for n in range(29, 60)}  # the team's keys spent long before
    woke = {("t", "openai", "api_key:key_a", "usd"): KeySeries(INFO, {**old, DAY: Decimal(60)}),
            ("t", "openai", "api_key:key_new", "usd"): KeySeries(INFO, {DAY: Decimal(75)}),
            ("t", "openai", "api_key:key_small", "usd"): KeySeries(INFO, {DAY: Decimal(49)}),
            ("t", "openai", "api_key:key_busy", "usd"): KeySeries(
                INFO, {**{DAY - timedelta(days=n): Decimal(40) for n in range(1, 30)}, DAY: Decimal(60)})}
    alerts = {v.series[2]: v.alert for v in judge_keys(woke, [DAY], DAY + timedelta(days=5), RULES) if v.alert}
    assert set(alerts) == {"api_key:key_a", "api_key:key_new"}
    assert "no spend in the previous 28 days" in alerts["api_key:key_new"].message


def test_the_first_days_collected_are_not_news():
    series = {("t", "openai", "api_key:key_a", "usd"): KeySeries(INFO, {DAY + timedelta(days=n): Decimal(80)
                                                                       for n in range(20)})}
    assert not [v for v in judge_keys(series, [DAY], DAY + timedelta(days=30), RULES) if v.alert]

"""Unit-cost and cache formulas, the endpoints variable, and the change decomposition adding up exactly."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from finops.errors import ConfigurationError
from finops.money import exact_sum, subtract
from finops.usage.explain import explain
from finops.usage.settings import usage_endpoints
from finops.usage.unit_costs import (
    COST_WITHOUT_USAGE,
    MATCHED,
    USAGE_WITHOUT_COST,
    cache_hit_rate,
    cache_savings,
    kind_unit_costs,
    model_unit_costs,
    per_million,
    per_request,
)

D = Decimal


def test_unit_costs_never_divide_by_zero():
    assert per_million(D("2.5"), 1_000_000) == D("2.5")
    assert per_million(D("2.5"), 0) is None
    assert per_request(D(3), 4) == D("0.75") and per_request(D(3), None) is None and per_request(D(3), 0) is None
    assert cache_hit_rate(200, 800, 0) == D("0.8") and cache_hit_rate(0, 0) is None
    assert cache_hit_rate(100, 50, 50) == D("0.25")
    # 800 cached tokens at the uncached rate (1 per 1000 tokens) = 0.8, minus their cost 0.1
    assert cache_savings(D("0.2"), 200, D("0.1"), 800) == D("0.7")
    assert cache_savings(D(0), 0, D("0.1"), 800) is None


def test_kind_and_model_unit_costs_show_cost_without_usage_and_usage_without_cost_apart():
    costs = {("gpt", "input"): D("0.2"), ("gpt", "cached input"): D("0.1"), ("gpt", "output"): D(1),
             ("gpt", "audio input"): D("0.3")}
    tokens = {("gpt", "input"): 200, ("gpt", "cached input"): 800, ("gpt", "output"): 100,
              ("free", "input"): 50}
    kinds = kind_unit_costs(costs, tokens)
    status = {(k.model, k.token_kind): (k.status, k.cost_per_1m) for k in kinds}
    assert status[("gpt", "input")] == (MATCHED, D(1000))
    assert status[("gpt", "audio input")] == (COST_WITHOUT_USAGE, None)
    assert status[("free", "input")] == (USAGE_WITHOUT_COST, None)
    models = {m.model: m for m in model_unit_costs(kinds, {"gpt": 10, "free": None})}
    gpt = models["gpt"]
    assert (gpt.tokens, gpt.cost, gpt.cost_without_usage) == (1100, D("1.3"), D("0.3"))
    assert gpt.cost_per_1m == D("1.3") * 1_000_000 / 1100 and gpt.cost_per_request == D("0.13")
    assert gpt.cache_hit_rate == D("0.8") and gpt.cache_savings == D("0.7")
    assert models["free"].cost_per_1m is None and models["free"].tokens_without_cost == 50


def parts(change):
    return exact_sum((change.volume, change.mix, change.price))  # the default context would round the check itself


def test_a_pure_volume_change_is_all_volume():
    before = {("a", "input"): (D(10), 1000), ("a", "output"): (D(20), 500)}
    after = {("a", "input"): (D(20), 2000), ("a", "output"): (D(40), 1000)}
    change = explain(before, after)
    assert (change.change, change.volume, change.mix, change.price) == (D(30), D(30), D(0), D(0))


def test_a_price_change_is_all_price_and_a_mix_shift_is_mix():
    before = {("a", "input"): (D(10), 1000)}
    assert explain(before, {("a", "input"): (D(15), 1000)}).price == D(5)
    before = {("cheap", "input"): (D(1), 1000), ("dear", "input"): (D(10), 1000)}
    after = {("cheap", "input"): (D(0), 0), ("dear", "input"): (D(20), 2000)}  # the same tokens, all on dear
    change = explain(before, after)
    assert change.volume == 0 and change.price == 0 and change.mix == D(9) == change.change


def test_new_and_vanished_models_and_cost_without_usage_add_up_exactly():
    before = {("old", "output"): (D("3.333333333333333333333333333333"), 7), ("img", None): (D(4), 0)}
    after = {("new", "output"): (D("0.1000000000000000055511151231257827"), 3), ("img", None): (D("2.5"), 0)}
    change = explain(before, after)
    assert parts(change) == change.change == subtract(change.current, change.previous)
    # A new model has no old price to change, a vanished one no new one: price holds only the rounding of volume and
    # mix to 10 places (its exact remainder).
    assert abs(change.price) < D("2e-10")
    only_new = explain({}, {("new", "input"): (D("1.5"), 10)})
    assert (only_new.volume, only_new.mix, only_new.price) == (D("1.5"), 0, 0)
    assert explain({}, {}).change == 0


@pytest.mark.parametrize("seed", range(25))
def test_random_segments_always_add_up_to_the_last_digit(seed):
    rng = random.Random(seed)

    def period():
        out = {}
        for model in ("a", "b", "c", "d"):
            for kind in ("input", "cached input", "output", None):
                if rng.random() < 0.6:
                    cost = D(rng.randint(0, 10**9)) / D(10 ** rng.randint(0, 20))
                    out[(model, kind)] = (cost, 0 if kind is None or rng.random() < 0.1 else rng.randint(0, 10**8))
        return out

    change = explain(period(), period())
    assert parts(change) == change.change == subtract(change.current, change.previous)


def test_the_endpoints_variable():
    assert usage_endpoints("openai", None)[0] == "completions" and len(usage_endpoints("openai", "all")) == 10
    assert usage_endpoints("openai", "none") == () and usage_endpoints("anthropic", "") == ("messages",)
    assert usage_endpoints("openai", "images, completions") == ("completions", "images")
    assert usage_endpoints("openai", '["messages"]') == () and usage_endpoints("anthropic", ["messages"]) == (
        "messages",)
    with pytest.raises(ConfigurationError, match="finops_usage_endpoints"):
        usage_endpoints("openai", "completion")

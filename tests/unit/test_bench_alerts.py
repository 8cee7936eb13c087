"""The alerts bench's simulated year: reproducible, spikes as the issue defines them, counts that add up."""

from __future__ import annotations

from decimal import Decimal

from finops.alerts.anomalies import AnomalyRule
from finops.bench.alerts import YEAR_DAYS, judge, simulate


def test_the_simulated_year_is_reproducible_and_its_spikes_are_3x_the_typical_day():
    teams = simulate(6, seed=7)
    assert [t.daily for t in teams] == [t.daily for t in simulate(6, seed=7)]
    assert [t.daily for t in teams] != [t.daily for t in simulate(6, seed=8)]
    spikes = [(t.daily[d], typical) for t in teams for d, typical in t.spikes.items()]
    assert spikes and all(value >= 3 * typical - Decimal("0.00001") for value, typical in spikes)


def test_judging_counts_every_team_day_once_per_rule():
    teams = simulate(4, seed=3)
    rules = [AnomalyRule(Decimal(3), Decimal(50)), AnomalyRule(Decimal(2), Decimal(0), mad_z=Decimal(0))]
    strict, loose = judge(teams, rules, log=lambda _: None)[0]
    assert strict.team_days == loose.team_days <= 4 * YEAR_DAYS
    assert loose.spikes >= strict.spikes and loose.false_alerts >= strict.false_alerts
    assert 0 <= strict.caught <= strict.spikes

"""Scenario spend: an organization's total of a day as a pure function of (scenario, seed, day, revision).

Both providers' generators spread that total over their scopes and line items in fixed shares
(:func:`shares`), and the alerts bench draws its simulated year from :func:`scenario_day` too, so the
endpoints, the expected totals and the detection figures tell one story.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from finops.simulator.config import Scenario
from finops.simulator.randomness import _rng, unit_hash

MICRO = Decimal("0.000001")
#: Random spikes start this many days after the team's first day (a baseline exists by then).
SPIKE_WARM_UP_DAYS = 28


@dataclass(frozen=True, slots=True)
class ScenarioDay:
    """One day of a scenario: its amount, the level it was drawn around, and whether it is a spike."""

    day: date
    amount: Decimal  # dollars, 6 decimal places; 0 before the scenario's start
    level: float  # the typical weekday spend of the day (growth, shift and ramp applied)
    spike: bool
    ordinary: Decimal  # what the day would have cost without its spike (= amount on other days)


def level(scenario: Scenario, day: date) -> float:
    """The day's typical weekday spend: growth from the origin, the level shift and the ramp."""
    value = scenario.typical * (1 + (scenario.growth - 1) * (day - scenario.origin).days / scenario.growth_days)
    if scenario.shift_day is not None and day >= scenario.shift_day:
        value *= scenario.shift_factor
    if scenario.ramp_start is not None and day >= scenario.ramp_start:
        value *= 1 + scenario.ramp_per_day * (day - scenario.ramp_start).days
    return max(value, 0.0)


def _dollars(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(MICRO)


def scenario_day(scenario: Scenario, seed: int, day: date, revision: int = 0) -> ScenarioDay:
    """The organization's spend on ``day``; ``revision`` >= 1 restates the scenario's restated day."""
    lvl = level(scenario, day)
    if scenario.start is not None and day < scenario.start:
        return ScenarioDay(day, Decimal(0), lvl, False, Decimal(0))
    rng = _rng(seed, day, "scenario")
    noise, busy, busy_factor = rng.gauss(0, 1), rng.random(), rng.uniform(*scenario.busy_factors)
    spike_roll, spike_factor = rng.random(), rng.uniform(*scenario.spike_factors)
    value = lvl * (scenario.weekend_factor if day.weekday() >= 5 else 1) * math.exp(noise * scenario.noise_sigma)
    if busy < scenario.busy_share:
        value *= busy_factor
    ordinary = value
    first = scenario.start or scenario.origin
    spike = day in scenario.spike_days
    if spike:
        value = lvl * scenario.spike_factor
    elif day >= first + timedelta(days=SPIKE_WARM_UP_DAYS) and spike_roll < scenario.spike_share:
        spike, value = True, lvl * spike_factor
    if revision >= 1 and day == scenario.restated_day:
        value *= scenario.restated_factor
        ordinary *= scenario.restated_factor
    return ScenarioDay(day, _dollars(value), lvl, spike, _dollars(ordinary))


def scenario_series(scenario: Scenario, seed: int, start: date, end: date, revision: int = 0) -> list[ScenarioDay]:
    """The days of ``[start, end)``."""
    return [scenario_day(scenario, seed, start + timedelta(days=n), revision) for n in range((end - start).days)]


def shares(seed: int, keys: Sequence[Hashable]) -> list[float]:
    """Fixed shares (summing to 1) of a day's total for each key, e.g. (project, line item)."""
    weights = [0.2 + unit_hash(seed, key, "share") for key in keys]
    total = sum(weights)
    return [w / total for w in weights]

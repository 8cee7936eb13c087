"""Spend anomalies: a day far above a robust baseline (median and MAD) of the previous settled days.

A day is flagged only when it is above its baseline by all three: at least ``min_amount`` in money,
at least ``factor`` times the median day, and more than ``MAD_Z`` robust standard deviations
(1.4826 x MAD) of the series' own noise. Defaults come from ``make bench BENCH_ARGS="--case
alerts"`` (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from finops.alerts.forecast import settled_before
from finops.money import EXACT, ZERO, add, subtract

BASELINE_DAYS = 28
MIN_HISTORY_DAYS = 14
MAD_SCALE = Decimal("1.4826")
MAD_Z = Decimal(5)
DEFAULT_FACTOR = Decimal(3)
DEFAULT_MIN_AMOUNT = Decimal(50)


@dataclass(frozen=True, slots=True)
class AnomalyRule:
    """How far above its baseline a day must be to be flagged."""

    factor: Decimal = DEFAULT_FACTOR
    min_amount: Decimal = DEFAULT_MIN_AMOUNT
    mad_z: Decimal = MAD_Z


@dataclass(frozen=True, slots=True)
class Baseline:
    """The typical day (median) and spread (median absolute deviation) of ``days`` settled days."""

    median: Decimal
    mad: Decimal
    days: int


@dataclass(frozen=True, slots=True)
class Anomaly:
    day: date
    value: Decimal
    baseline: Baseline
    provisional: bool

    @property
    def ratio(self) -> Decimal | None:
        """How many typical days the day's spend is (None when the typical day is zero)."""
        return self.value / self.baseline.median if self.baseline.median > 0 else None


def median(values: list[Decimal]) -> Decimal:
    """The middle value; of an even count, the mean of the two middle ones (their sum exact, the halving an estimate)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else add(ordered[mid - 1], ordered[mid]) / 2


def baseline(daily: Mapping[date, Decimal], day: date, *, first_day: date, before: date,
             days: int = BASELINE_DAYS, min_history: int = MIN_HISTORY_DAYS) -> Baseline | None:
    """The baseline of ``day``: the ``days`` settled days (days before ``before``) ahead of it.

    Days before ``first_day`` (the series' first day with spend) are not history; with fewer than
    ``min_history`` days of history there is no baseline and nothing is flagged.
    """
    end = min(day, before)
    start = max(end - timedelta(days=days), first_day)
    values = [daily.get(start + timedelta(days=n), ZERO) for n in range((end - start).days)]
    if len(values) < min_history:
        return None
    middle = median(values)
    return Baseline(median=middle, mad=median([abs(subtract(v, middle)) for v in values]), days=len(values))


def is_anomalous(value: Decimal, base: Baseline, rule: AnomalyRule) -> bool:
    """Far above the baseline relatively, absolutely, and beyond the series' own noise."""
    excess = subtract(value, base.median)
    return (excess >= rule.min_amount and value >= EXACT.multiply(rule.factor, base.median)
            and excess > EXACT.multiply(EXACT.multiply(rule.mad_z, MAD_SCALE), base.mad))


SPIKE, NORMAL, NO_HISTORY = "spike", "normal", "no_history"


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on one day of a series: a spike, a normal day, or no history to compare with.

    ``median`` is the typical day (None without history); ``baseline`` the full baseline, kept for spikes.
    """

    day: date
    value: Decimal
    outcome: str
    median: Decimal | None
    baseline: Baseline | None
    provisional: bool

    def anomaly(self) -> Anomaly | None:
        """The anomaly a spike is (None for other outcomes)."""
        if self.outcome != SPIKE or self.baseline is None:
            return None
        return Anomaly(day=self.day, value=self.value, baseline=self.baseline, provisional=self.provisional)


def judge(daily: Mapping[date, Decimal], days: Iterable[date], *, as_of: date, lookback_days: int,
          rule: AnomalyRule, provisional: bool = False, first_day: date | None = None) -> list[Judgement]:
    """The verdict on each of ``days`` before ``as_of``; provisional days (inside the look-back) only when allowed.

    The same rule as ``baseline`` and ``is_anomalous``, over one dense run of the series' days, and the
    MAD only for days above the other two conditions: the first run after the upgrade judges the whole
    history (88,800 series-days of 200 teams took 13 s, most of it building each day's 28 values).
    """
    first = first_day if first_day is not None else min((d for d, v in daily.items() if v), default=None)
    if first is None:
        return []
    before = settled_before(as_of, lookback_days)
    todo = sorted(d for d in set(days) if d < as_of and (d < before or provisional))
    if not todo:
        return []
    origin = max(first, min(todo[0], before) - timedelta(days=BASELINE_DAYS))
    dense = [daily.get(origin + timedelta(days=n), ZERO) for n in range(max(0, (min(todo[-1], before) - origin).days))]
    factor, min_amount, noise = rule.factor, rule.min_amount, EXACT.multiply(rule.mad_z, MAD_SCALE)
    found = []
    for day in todo:
        end = min(day, before)
        start = max(end - timedelta(days=BASELINE_DAYS), first)
        values = dense[(start - origin).days:(end - origin).days] if end > start else []
        value = daily.get(day, ZERO)
        if len(values) < MIN_HISTORY_DAYS:
            found.append(Judgement(day, value, NO_HISTORY, None, None, day >= before))
            continue
        middle = median(values)
        excess = subtract(value, middle)
        outcome, base = NORMAL, None
        if excess >= min_amount and value >= EXACT.multiply(factor, middle):
            base = Baseline(median=middle, mad=median([abs(subtract(v, middle)) for v in values]), days=len(values))
            if excess > EXACT.multiply(noise, base.mad):
                outcome = SPIKE
        found.append(Judgement(day, value, outcome, middle, base, day >= before))
    return found


def detect(daily: Mapping[date, Decimal], days: Iterable[date], *, as_of: date, lookback_days: int,
           rule: AnomalyRule, provisional: bool = False, first_day: date | None = None) -> list[Anomaly]:
    """The anomalous days among ``days``; provisional days (inside the look-back) only when allowed."""
    verdicts = judge(daily, days, as_of=as_of, lookback_days=lookback_days, rule=rule, provisional=provisional,
                     first_day=first_day)
    return [a for a in (v.anomaly() for v in verdicts) if a is not None]

"""Month-end forecasts: the month-to-date plus a run rate of settled days, and the day a budget runs out.

Method (docs/budgets-and-alerts.md): a day is settled once it is outside the look-back of the
reference date ``as_of`` (the exclusive end of the collected data): days before
``as_of - lookback_days`` are final. The run rate is the mean of the last ``RATE_DAYS`` settled
days (one of each weekday, so the weekly pattern does not bias it); the ``weekday`` method
multiplies it by the weekday's share over the last ``PROFILE_DAYS`` settled days. The projection
is the settled month-to-date, plus each provisional day at the larger of its recorded spend and
the rate (late costs only add), plus the rate for each day left in the month.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from finops.alerts.models import month_start, next_month

RATE_DAYS = 7
PROFILE_DAYS = 28
MIN_RATE_DAYS = 7
METHODS = ("flat", "weekday")
#: Chosen by ``make bench BENCH_ARGS="--case alerts"`` (docs/performance.md).
DEFAULT_METHOD = "flat"
PRECISION = Decimal("0.000001")
Rate = Callable[[date], Decimal]


def settled_before(as_of: date, lookback_days: int) -> date:
    """The first day that is not settled yet: later collections still re-collect it and later ones."""
    return as_of - timedelta(days=lookback_days)


def _day_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days)]


def run_rate(daily: Mapping[date, Decimal], before: date, *, first_day: date | None,
             method: str = DEFAULT_METHOD) -> Rate | None:
    """The expected spend of a day from the settled days before ``before``; None with too little history."""
    if method not in METHODS:
        raise ValueError(f"unknown forecast method {method!r}")
    first = first_day if first_day is not None else min(daily, default=None)
    if first is None:
        return None
    recent = [d for d in _day_range(before - timedelta(days=RATE_DAYS), before) if d >= first]
    if len(recent) < MIN_RATE_DAYS:
        return None
    level = sum((daily.get(d, Decimal(0)) for d in recent), Decimal(0)) / len(recent)
    factors = [Decimal(1)] * 7
    profile_days = _day_range(before - timedelta(days=PROFILE_DAYS), before)
    if method == "weekday" and profile_days[0] >= first:
        total = sum((daily.get(d, Decimal(0)) for d in profile_days), Decimal(0))
        if total > 0:
            for weekday in range(7):
                share = sum((daily.get(d, Decimal(0)) for d in profile_days if d.weekday() == weekday), Decimal(0))
                factors[weekday] = share * 7 / total
    return lambda day: level * factors[day.weekday()]


@dataclass(frozen=True, slots=True)
class Forecast:
    """A month's spend so far and its projected end (None when the history is too short to project)."""

    month: date
    as_of: date
    actual: Decimal
    settled: Decimal
    provisional_days: int
    daily_rate: Decimal | None
    projected: Decimal | None
    runs_out_on: date | None
    method: str

    @property
    def last_day(self) -> date:
        """The last collected day of the month that the actual covers."""
        return min(self.as_of, next_month(self.month)) - timedelta(days=1)


def forecast_month(daily: Mapping[date, Decimal], month: date, as_of: date, *, lookback_days: int,
                   budget: Decimal | None = None, method: str = DEFAULT_METHOD,
                   first_day: date | None = None) -> Forecast:
    """Project ``month``'s spend from ``daily`` (spend per UTC day; days before ``as_of`` are collected).

    ``daily`` must hold at least ``PROFILE_DAYS`` before the first unsettled day; ``first_day`` is
    the first day of the series' history (default: its first day with spend).
    """
    start, end = month_start(month), next_month(month_start(month))
    boundary = settled_before(as_of, lookback_days)
    collected_end = min(as_of, end)
    actual = sum((daily.get(d, Decimal(0)) for d in _day_range(start, collected_end)), Decimal(0))
    settled = sum((daily.get(d, Decimal(0)) for d in _day_range(start, min(boundary, end))), Decimal(0))
    provisional = _day_range(max(start, boundary), collected_end)
    rate = run_rate(daily, boundary, first_day=first_day, method=method)
    running, runs_out_on = Decimal(0), None
    projected: Decimal | None = None
    if rate is not None or not provisional and collected_end == end:
        for day in _day_range(start, end):
            if day < boundary:
                spent = daily.get(day, Decimal(0))
            elif day < as_of:
                spent = max(daily.get(day, Decimal(0)), rate(day)) if rate else daily.get(day, Decimal(0))
            else:
                spent = rate(day)
            running += spent
            if budget is not None and runs_out_on is None and running >= budget:
                runs_out_on = day
        projected = running.quantize(PRECISION)
    elif budget is not None:  # no projection: the budget can still be spent already
        for day in _day_range(start, collected_end):
            running += daily.get(day, Decimal(0))
            if running >= budget:
                runs_out_on = day
                break
    daily_rate = None
    if rate is not None:
        daily_rate = (sum((rate(d) for d in _day_range(start, end)), Decimal(0)) / (end - start).days).quantize(PRECISION)
    return Forecast(month=start, as_of=as_of, actual=actual, settled=settled, provisional_days=len(provisional),
                    daily_rate=daily_rate, projected=projected, runs_out_on=runs_out_on, method=method)

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
from finops.money import ZERO, add, exact_sum

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
    """The expected spend of a day from the settled days before ``before``; None with too little history.

    The sums are exact; the mean and the weekday shares are divisions, estimates by nature.
    """
    if method not in METHODS:
        raise ValueError(f"unknown forecast method {method!r}")
    first = first_day if first_day is not None else min(daily, default=None)
    if first is None:
        return None
    recent = [d for d in _day_range(before - timedelta(days=RATE_DAYS), before) if d >= first]
    if len(recent) < MIN_RATE_DAYS:
        return None
    level = exact_sum(daily.get(d, ZERO) for d in recent) / len(recent)
    factors = [Decimal(1)] * 7
    profile_days = _day_range(before - timedelta(days=PROFILE_DAYS), before)
    if method == "weekday" and profile_days[0] >= first:
        total = exact_sum(daily.get(d, ZERO) for d in profile_days)
        if total > 0:
            for weekday in range(7):
                share = exact_sum(daily.get(d, ZERO) for d in profile_days if d.weekday() == weekday)
                factors[weekday] = share * 7 / total
    return lambda day: level * factors[day.weekday()]


@dataclass(frozen=True, slots=True)
class Forecast:
    """A month's spend so far and its projected end (None when the history is too short to project).

    ``known_until`` is the exclusive end of the days whose costs are collected (at most ``as_of``):
    the actual covers the month's days before it, and days from it on are projected, never zero.
    """

    month: date
    as_of: date
    actual: Decimal
    settled: Decimal
    provisional_days: int
    daily_rate: Decimal | None
    projected: Decimal | None
    runs_out_on: date | None
    method: str
    known_until: date | None = None

    @property
    def collected_end(self) -> date:
        """The exclusive end of the month's collected days (the month's first day when none is collected)."""
        known = self.as_of if self.known_until is None else min(self.known_until, self.as_of)
        return max(month_start(self.month), min(known, next_month(self.month)))

    @property
    def last_day(self) -> date:
        """The last collected day of the month that the actual covers (the day before the month when none is)."""
        return self.collected_end - timedelta(days=1)

    @property
    def has_data(self) -> bool:
        """Whether any day of the month is collected."""
        return self.collected_end > month_start(self.month)

    @property
    def days_behind(self) -> int:
        """Days between the last collected day and the reference date that are not collected (0 when up to date)."""
        known = self.as_of if self.known_until is None else min(self.known_until, self.as_of)
        return (self.as_of - known).days


def forecast_month(daily: Mapping[date, Decimal], month: date, as_of: date, *, lookback_days: int,
                   budget: Decimal | None = None, method: str = DEFAULT_METHOD,
                   first_day: date | None = None, known_until: date | None = None) -> Forecast:
    """Project ``month``'s spend from ``daily`` (spend per UTC day; days before ``known_until`` are collected).

    ``known_until`` (default ``as_of``) is the exclusive end of the collected days: days after it are
    not zero spend but unknown, so they are projected at the run rate, which comes from the last
    collected settled days. A month with no collected day gets no projection. The day the budget runs
    out is a day the actual reached it, or a projected day after the last collected one, never earlier.
    ``daily`` must hold at least ``PROFILE_DAYS`` before the first unsettled day; ``first_day`` is
    the first day of the series' history (default: its first day with spend).
    """
    start, end = month_start(month), next_month(month_start(month))
    known = as_of if known_until is None else min(known_until, as_of)
    boundary = min(settled_before(as_of, lookback_days), known)
    collected_end = max(start, min(known, end))
    actual = exact_sum(daily.get(d, ZERO) for d in _day_range(start, collected_end))
    settled = exact_sum(daily.get(d, ZERO) for d in _day_range(start, min(boundary, end)))
    provisional = _day_range(max(start, boundary), collected_end)
    rate = run_rate(daily, boundary, first_day=first_day, method=method)
    running, runs_out_on = ZERO, None
    projected: Decimal | None = None
    if collected_end > start and (rate is not None or not provisional and collected_end == end):
        for day in _day_range(start, end):
            recorded = daily.get(day, ZERO)
            if day < boundary:
                spent = recorded
            elif day < known:
                spent = max(recorded, rate(day)) if rate else recorded
            else:
                spent = rate(day)
            running = add(running, spent)
            if budget is not None and runs_out_on is None and running >= budget:
                runs_out_on = _run_out_day(day, collected_end, budget, daily, start)
        projected = running.quantize(PRECISION)
    elif budget is not None:  # no projection: the budget can still be spent already
        for day in _day_range(start, collected_end):
            running = add(running, daily.get(day, ZERO))
            if running >= budget:
                runs_out_on = day
                break
    daily_rate = None
    if rate is not None:
        daily_rate = (exact_sum(rate(d) for d in _day_range(start, end)) / (end - start).days).quantize(PRECISION)
    return Forecast(month=start, as_of=as_of, actual=actual, settled=settled, provisional_days=len(provisional),
                    daily_rate=daily_rate, projected=projected, runs_out_on=runs_out_on, method=method,
                    known_until=known)


def _run_out_day(day: date, collected_end: date, budget: Decimal, daily: Mapping[date, Decimal], start: date) -> date:
    """The projected crossing ``day``, unless it is a collected day the recorded spend has not crossed on.

    A provisional day counted at the run rate can cross the budget before the recorded spend does; the
    budget then runs out, at the earliest, on the first day not collected (``collected_end``).
    """
    if day >= collected_end:
        return day
    spent_through = exact_sum(daily.get(d, ZERO) for d in _day_range(start, day + timedelta(days=1)))
    return day if spent_through >= budget else collected_end

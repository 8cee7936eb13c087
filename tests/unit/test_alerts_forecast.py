"""Month-end forecasts: settled versus provisional days, run rates, month boundaries, the day a budget runs out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from finops.alerts.forecast import forecast_month, run_rate, settled_before
from finops.alerts.models import month_label, month_start, next_month, utc_day


def days(start: date, end: date):
    return [start + timedelta(days=n) for n in range((end - start).days)]


def constant(start: date, end: date, amount: str) -> dict[date, Decimal]:
    return {d: Decimal(amount) for d in days(start, end)}


def test_months_are_utc_calendar_months():
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert next_month(date(2028, 2, 1)) - date(2028, 2, 1) == timedelta(days=29)  # leap year
    assert month_start(date(2026, 12, 31)) == date(2026, 12, 1) and month_label(date(2026, 1, 1)) == "2026-01"
    # 01:00 on Dec 1 in UTC+5 is still November in UTC: the month the data belongs to.
    assert utc_day(datetime(2026, 12, 1, 1, tzinfo=timezone(timedelta(hours=5)))) == date(2026, 11, 30)
    assert utc_day(datetime(2026, 11, 30, 23, tzinfo=timezone(timedelta(hours=-2)))) == date(2026, 12, 1)
    assert utc_day(datetime(2026, 12, 1, tzinfo=UTC)) == date(2026, 12, 1)
    with pytest.raises(ValueError, match="no time zone"):
        utc_day(datetime(2026, 12, 1))


def test_settled_days_are_outside_the_lookback_of_the_reference_date():
    # Data collected through Dec 14 (as_of Dec 15, exclusive): Dec 13 and 14 are re-collected later.
    assert settled_before(date(2026, 12, 15), 2) == date(2026, 12, 13)
    assert settled_before(date(2026, 12, 15), 0) == date(2026, 12, 15)


def test_a_steady_team_is_projected_exactly_and_the_budget_runs_out_on_the_right_day():
    daily = constant(date(2026, 10, 1), date(2026, 12, 11), "10")
    fc = forecast_month(daily, date(2026, 12, 5), date(2026, 12, 11), lookback_days=2, budget=Decimal(200))
    assert fc.month == date(2026, 12, 1)
    assert fc.actual == Decimal(100) and fc.settled == Decimal(80) and fc.provisional_days == 2
    assert fc.daily_rate == Decimal(10) and fc.projected == Decimal(310)
    assert fc.runs_out_on == date(2026, 12, 20) and fc.last_day == date(2026, 12, 10)


def test_a_provisional_day_counts_at_least_the_run_rate_and_at_least_what_is_recorded():
    daily = constant(date(2026, 10, 1), date(2026, 12, 11), "10")
    daily[date(2026, 12, 9)] = Decimal("2")     # partly collected so far: the rate is used
    daily[date(2026, 12, 10)] = Decimal("50")   # already above the rate: the recorded spend is used
    fc = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 11), lookback_days=2)
    assert fc.actual == Decimal(132)
    assert fc.projected == Decimal(80) + Decimal(10) + Decimal(50) + 21 * Decimal(10)


def test_the_run_rate_uses_settled_days_only_even_across_the_month_boundary():
    daily = constant(date(2026, 11, 1), date(2026, 12, 1), "20")  # November at 20 a day
    daily[date(2026, 12, 1)] = Decimal(1000)  # provisional: not in the rate
    fc = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 2), lookback_days=2)
    assert fc.daily_rate == Decimal(20)
    assert fc.projected == Decimal(1000) + 30 * Decimal(20)


def test_a_closed_month_projects_its_actual():
    daily = constant(date(2026, 11, 1), date(2027, 1, 10), "3.333333")
    fc = forecast_month(daily, date(2026, 12, 1), date(2027, 1, 10), lookback_days=2)
    assert fc.provisional_days == 0 and fc.actual == 31 * Decimal("3.333333") == fc.projected
    assert fc.last_day == date(2026, 12, 31)


def test_a_new_team_gets_no_projection_until_a_week_is_settled_but_a_spent_budget_is_still_dated():
    daily = constant(date(2026, 12, 3), date(2026, 12, 9), "40")  # six days of history
    fc = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 9), lookback_days=2, budget=Decimal(100))
    assert fc.projected is None and fc.daily_rate is None
    assert fc.actual == Decimal(240) and fc.runs_out_on == date(2026, 12, 5)
    daily = constant(date(2026, 12, 1), date(2026, 12, 10), "40")  # seven settled days
    fc = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 10), lookback_days=2)
    assert fc.daily_rate == Decimal(40) and fc.projected == 31 * Decimal(40)


def test_the_weekday_method_follows_a_weekly_pattern_that_the_flat_rate_averages():
    # Weekdays 10, weekends 0, from a Monday.
    daily = {d: Decimal(10) if d.weekday() < 5 else Decimal(0) for d in days(date(2026, 10, 5), date(2026, 12, 10))}
    weekday = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 10), lookback_days=0, method="weekday")
    flat = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 10), lookback_days=0, method="flat")
    exact = sum(Decimal(10) for d in days(date(2026, 12, 1), date(2027, 1, 1)) if d.weekday() < 5)
    assert weekday.projected == exact == Decimal(230)
    assert flat.projected == (Decimal(70) + 22 * Decimal(50) / 7).quantize(Decimal("0.000001"))
    assert run_rate(daily, date(2026, 12, 10), first_day=None, method="weekday")(date(2026, 12, 12)) == 0  # Saturday
    with pytest.raises(ValueError):
        run_rate(daily, date(2026, 12, 10), first_day=None, method="median")


def test_days_not_collected_are_unknown_not_zero_and_a_month_without_a_collected_day_is_not_projected():
    # Collected through Nov 28 (known until Nov 29), reference date Dec 5: December has no known day.
    daily = constant(date(2026, 10, 1), date(2026, 11, 29), "3149.44")
    december = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 5), lookback_days=2, budget=Decimal(3000),
                              known_until=date(2026, 11, 29))
    assert december.projected is None and december.runs_out_on is None and not december.has_data
    assert december.actual == 0 and december.last_day == date(2026, 11, 30) and december.days_behind == 6
    # Told that every day before as_of is collected (zeros through Dec 4), the run-out is still not before Dec 5
    # (the old code said Dec 3: provisional Dec 3 counted at the rate crossed the budget).
    told_zeros = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 5), lookback_days=2, budget=Decimal(3000))
    assert told_zeros.last_day == date(2026, 12, 4) and told_zeros.runs_out_on == date(2026, 12, 5)
    november = forecast_month(daily, date(2026, 11, 1), date(2026, 12, 5), lookback_days=2,
                              known_until=date(2026, 11, 29))
    assert november.last_day == date(2026, 11, 28) and november.actual == 28 * Decimal("3149.44")
    assert november.projected == 30 * Decimal("3149.44")  # Nov 29 and 30 at the rate of the last collected week


def test_a_stale_month_projects_its_unknown_days_at_the_rate_of_the_last_collected_days():
    daily = constant(date(2026, 11, 1), date(2026, 12, 3), "100")  # collected through Dec 2
    fc = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 10), lookback_days=2, budget=Decimal(2000),
                        known_until=date(2026, 12, 3))
    assert fc.actual == 200 and fc.settled == 200 and fc.provisional_days == 0 and fc.days_behind == 7
    assert fc.projected == 3100 and fc.daily_rate == 100 and fc.runs_out_on == date(2026, 12, 20)


def test_the_budget_never_runs_out_before_the_last_collected_day_unless_the_recorded_spend_reached_it():
    daily = constant(date(2026, 10, 1), date(2026, 12, 11), "10")
    daily[date(2026, 12, 9)] = Decimal(0)  # provisional, counted at the rate (10) in the projection
    # Through Dec 10 the recorded spend is 90; the projection reaches 95 on Dec 9 at the rate: not a run-out day.
    fc = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 11), lookback_days=2, budget=Decimal(95))
    assert fc.actual == 90 and fc.runs_out_on == date(2026, 12, 11)
    # Recorded spend that reached the budget dates it on the day it did.
    fc = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 11), lookback_days=2, budget=Decimal(80))
    assert fc.runs_out_on == date(2026, 12, 8)


def test_month_to_date_and_rates_add_exactly_past_28_digits():
    import decimal

    day_amount = Decimal("12345.670000035000000000000004")  # 12345.67 + 3.5000000000000004E-8: 29 digits
    daily = {d: day_amount for d in days(date(2026, 10, 1), date(2026, 12, 11))}
    with decimal.localcontext(decimal.Context(prec=60)):
        expected = 10 * day_amount
        settled = 8 * day_amount
    fc = forecast_month(daily, date(2026, 12, 1), date(2026, 12, 11), lookback_days=2, budget=Decimal(10 ** 9))
    assert fc.actual == expected and fc.settled == settled and len(fc.actual.as_tuple().digits) > 28

"""How a period is read from the monthly project rollup: whole months, minus or plus the days that differ."""

from __future__ import annotations

from datetime import date

from finops.analytics.report import MonthlyPlan, Period, monthly_plan

D = date


def test_a_whole_month_is_its_row():
    assert monthly_plan(Period(D(2026, 3, 1), D(2026, 4, 1)), D(2026, 5, 1)) == MonthlyPlan([D(2026, 3, 1)], [])


def test_month_to_date_is_the_month_when_no_later_day_has_data():
    assert monthly_plan(Period(D(2026, 11, 1), D(2026, 11, 20)), D(2026, 11, 19)) == MonthlyPlan([D(2026, 11, 1)], [])


def test_month_to_date_subtracts_later_days_with_data_when_fewer():
    plan = monthly_plan(Period(D(2026, 11, 1), D(2026, 11, 20)), D(2026, 11, 22))
    assert plan == MonthlyPlan([D(2026, 11, 1)], [(D(2026, 11, 20), D(2026, 12, 1), -1)])


def test_few_days_are_read_as_days():
    assert monthly_plan(Period(D(2026, 11, 1), D(2026, 11, 4)), D(2026, 11, 30)) is None


def test_a_range_across_months_mixes_both():
    plan = monthly_plan(Period(D(2026, 10, 3), D(2026, 11, 2)), D(2026, 11, 30))
    assert plan == MonthlyPlan([D(2026, 10, 1)], [(D(2026, 10, 1), D(2026, 10, 3), -1), (D(2026, 11, 1), D(2026, 11, 2), 1)])


def test_no_data_means_daily_rows():
    assert monthly_plan(Period(D(2026, 3, 1), D(2026, 4, 1)), None) is None

"""The collection window for scheduled, manual, backfill and range runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from finops.collection import resolve_window
from finops.errors import UsageError
from finops.warehouse.loader import Window

TODAY = date(2026, 11, 25)


def utc(y, m, d, h=0):
    return datetime(y, m, d, h, tzinfo=UTC)


def test_scheduled_and_backfill_run_covers_its_day_plus_lookback():
    # A scheduled (or backfill) run for Mar 9: data interval [Mar 9, Mar 10).
    assert resolve_window(utc(2026, 3, 9), utc(2026, 3, 10), lookback_days=2, today=TODAY) == Window(
        date(2026, 3, 7), date(2026, 3, 10)
    )


def test_lookback_zero_is_exactly_the_day():
    assert resolve_window(utc(2026, 3, 9), utc(2026, 3, 10), lookback_days=0, today=TODAY).days == 1


def test_manual_run_without_logical_date_covers_the_day_before_it_was_triggered():
    window = resolve_window(None, None, run_after=utc(2026, 3, 10, 15), lookback_days=1, today=TODAY)
    assert window == Window(date(2026, 3, 8), date(2026, 3, 10))


def test_a_zero_length_interval_still_covers_its_day():
    assert resolve_window(utc(2026, 3, 9), utc(2026, 3, 9), lookback_days=0, today=TODAY) == Window(
        date(2026, 3, 9), date(2026, 3, 10)
    )


def test_range_params_are_inclusive_and_override_the_interval():
    window = resolve_window(utc(2026, 3, 9), utc(2026, 3, 10), lookback_days=2, start_date="2025-01-01",
                            end_date="2025-12-31", today=TODAY)
    assert window == Window(date(2025, 1, 1), date(2026, 1, 1)) and window.days == 365


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-03-10", "2026-03-01", "after end_date"),
        ("2026-03-10", None, "Give both"),
        ("yesterday", "2026-03-01", "must be a date"),
        ("2027-01-01", "2027-01-02", "in the future"),
    ],
)
def test_bad_ranges_are_refused_with_one_sentence(start, end, message):
    with pytest.raises(UsageError, match=message):
        resolve_window(utc(2026, 3, 9), utc(2026, 3, 10), lookback_days=2, start_date=start, end_date=end, today=TODAY)


def test_a_window_reaching_past_today_is_cut_at_today():
    window = resolve_window(utc(2026, 11, 24), utc(2026, 11, 25), lookback_days=0, start_date="2026-11-20",
                            end_date="2026-12-31", today=TODAY)
    assert window == Window(date(2026, 11, 20), date(2026, 11, 26))


def test_the_dag_timetable_gives_whole_utc_days():
    """Manual runs and `airflow dags test D` get the last complete UTC day before D."""
    from airflow.timetables.interval import CronDataIntervalTimetable
    from pendulum import datetime as pdt

    timetable = CronDataIntervalTimetable("0 0 * * *", timezone="UTC")
    interval = timetable.infer_manual_data_interval(run_after=pdt(2026, 3, 10, 5, tz="UTC"))
    assert (interval.start, interval.end) == (pdt(2026, 3, 9, tz="UTC"), pdt(2026, 3, 10, tz="UTC"))
    # A backfill's run for Mar 9 (the scheduler's next interval after Mar 8) is [Mar 9, Mar 10).
    from airflow.timetables.base import DataInterval, TimeRestriction

    info = timetable.next_dagrun_info(
        last_automated_data_interval=DataInterval(pdt(2026, 3, 8, tz="UTC"), pdt(2026, 3, 9, tz="UTC")),
        restriction=TimeRestriction(earliest=None, latest=None, catchup=True),
    )
    assert (info.data_interval.start, info.data_interval.end) == (pdt(2026, 3, 9, tz="UTC"), pdt(2026, 3, 10, tz="UTC"))

"""The alerts DAG's scope: from the triggering events' windows (UTC months, days, teams) or the run's dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from finops.alerts.tasks import plan_scope_task, scope_of_windows, team_link


class Event:
    def __init__(self, extra):
        self.extra = extra


def test_a_window_across_a_month_boundary_evaluates_both_months_and_its_days():
    scope = scope_of_windows([{"window_start": "2026-11-29", "window_end": "2026-12-02", "teams": ["b", "a"]}])
    assert scope.as_of == date(2026, 12, 2)
    assert scope.months == (date(2026, 11, 1), date(2026, 12, 1))
    assert scope.days == (date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 1))
    assert scope.teams == ("a", "b")


def test_several_events_are_united_and_an_event_without_teams_means_every_team():
    events = {"finops.cost_data": [Event({"window_start": "2026-12-10", "window_end": "2026-12-12", "teams": ["a"]}),
                                   Event({"window_start": "2026-12-01", "window_end": "2026-12-02"})]}
    scope = plan_scope_task(events, None, datetime(2026, 12, 12, 3, tzinfo=UTC))
    assert scope == {"as_of": "2026-12-12", "months": ["2026-12-01"],
                     "days": ["2026-12-01", "2026-12-10", "2026-12-11"], "teams": None}


def test_without_an_event_the_run_dates_give_current_and_previous_utc_month():
    # 00:30 on Jan 1 in UTC+2 is Dec 31 in UTC: the months are UTC's.
    moment = datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert plan_scope_task({}, moment, None) == {"as_of": "2026-12-31", "months": ["2026-11-01", "2026-12-01"],
                                                 "days": None, "teams": None}
    assert plan_scope_task(None, None, datetime(2027, 1, 1, 5, tzinfo=UTC))["months"] == ["2026-12-01", "2027-01-01"]
    with pytest.raises(ValueError, match="no time zone"):
        plan_scope_task(None, datetime(2027, 1, 1), None)


def test_events_without_a_window_fall_back_to_the_run_dates():
    scope = plan_scope_task({"x": [Event({"provider": "openai"}), Event(None)]}, None, datetime(2026, 12, 5, tzinfo=UTC))
    assert scope["days"] is None and scope["months"] == ["2026-11-01", "2026-12-01"]


def test_the_team_link_names_the_team_page_escaped():
    assert team_link("growth", "https://airflow.example/") == "https://airflow.example/finops/overview/teams/growth"
    assert team_link("a/b c", "") == "/finops/overview/teams/a%2Fb%20c"

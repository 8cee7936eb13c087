"""The alerts to fire: thresholds, forecasts, anomalies; idempotent evaluation and one message per group."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from finops.alerts.anomalies import AnomalyRule
from finops.alerts.evaluate import default_days, evaluate, notifications, spend_window
from finops.alerts.models import BUDGET_FORECAST, BUDGET_THRESHOLD, SPEND_ANOMALY, Budget, DailySpend
from finops.alerts.rules import AlertRules
from finops.errors import ConfigurationError

RULES = AlertRules()


def spend(team: str, first: date, last: date, amount, provider="openai", project="proj_a", model=None):
    """One row a day from ``first`` to ``last`` inclusive; ``amount`` a value or a function of the day."""
    out = []
    day = first
    while day <= last:
        value = amount(day) if callable(amount) else amount
        out.append(DailySpend(team, provider, project, day, "usd", Decimal(str(value)), model))
        day += timedelta(days=1)
    return out


def budget(amount, team="growth", valid_from=date(2026, 12, 1), budget_id=1, provider=None, project_id=None,
           thresholds=(50, 80, 100)):
    return Budget(budget_id, team, provider, project_id, valid_from,
                  None if amount is None else Decimal(str(amount)), "usd", thresholds)


def kinds(alerts):
    return [(a.kind, a.scope, a.period, a.threshold) for a in alerts]


def test_several_thresholds_crossed_at_once_are_each_recorded_and_told_in_one_message():
    # Quiet until a 1,000 day on Dec 10; collected through Dec 12 (as_of Dec 13).
    rows = spend("growth", date(2026, 11, 1), date(2026, 12, 12), lambda d: 1000 if d == date(2026, 12, 10) else 1)
    alerts = evaluate(rows, [budget(1000)], as_of=date(2026, 12, 13), rules=RULES, days=[])
    assert kinds(alerts) == [(BUDGET_THRESHOLD, "team", "2026-12", 50), (BUDGET_THRESHOLD, "team", "2026-12", 80),
                             (BUDGET_THRESHOLD, "team", "2026-12", 100)]
    assert {a.value for a in alerts} == {Decimal(1011)} and {a.budget for a in alerts} == {Decimal(1000)}
    [note] = notifications(alerts, link=lambda team: f"https://airflow.example/finops/teams/{team}")
    assert note.alerts == tuple(alerts)
    assert note.message == (
        "Team growth spent 1,011.00 usd in 2026-12 through 2026-12-12, 2 of its days not settled yet: 101 % of its "
        "1,000.00 usd monthly budget; the 50 %, 80 % and 100 % thresholds are crossed. "
        "See https://airflow.example/finops/teams/growth"
    )
    # Later only 100 % is new (50 and 80 were recorded earlier): its message names it alone.
    [later] = notifications(alerts[2:])
    assert later.message.endswith("; the 100 % threshold is crossed.")


def test_evaluation_is_idempotent_and_a_restated_day_only_changes_what_is_true_now():
    rows = spend("growth", date(2026, 11, 1), date(2026, 12, 19), 30)
    first = evaluate(rows, [budget(1000)], as_of=date(2026, 12, 20), rules=RULES, days=[])
    assert first == evaluate(rows, [budget(1000)], as_of=date(2026, 12, 20), rules=RULES, days=[])
    # 570 spent (57 %), 930 projected (93 %).
    assert kinds(first) == [(BUDGET_THRESHOLD, "team", "2026-12", 50), (BUDGET_FORECAST, "team", "2026-12", 80)]
    # Dec 5 restated down to zero after the 50 % alert: 540 spent, 54 %: the same key as before, nothing new.
    restated = [replace(r, amount=Decimal(0)) if r.usage_date == date(2026, 12, 5) else r for r in rows]
    again = evaluate(restated, [budget(1000)], as_of=date(2026, 12, 20), rules=RULES, days=[])
    assert {a.key for a in again if a.kind == BUDGET_THRESHOLD} == {a.key for a in first if a.kind == BUDGET_THRESHOLD}
    assert next(a for a in again if a.kind == BUDGET_THRESHOLD).value == Decimal(540)


def test_a_forecast_alert_fires_before_the_actual_crosses_and_says_when_the_budget_runs_out():
    ramp = spend("growth", date(2026, 10, 1), date(2026, 12, 9), lambda d: 10 + (d - date(2026, 10, 1)).days)
    alerts = evaluate(ramp, [budget(2000)], as_of=date(2026, 12, 10), rules=RULES, days=[])
    # Spent 675 (33 %): settled Dec 1-7 (71..77 = 518), provisional Dec 8-9 as recorded (78, 79: above the
    # 7-day rate of 74), then 22 days at 74: 2,303 (115 %).
    assert kinds(alerts) == [(BUDGET_FORECAST, "team", "2026-12", t) for t in (50, 80, 100)]
    assert {a.value for a in alerts} == {Decimal(518 + 78 + 79 + 22 * 74)} == {Decimal(2303)}
    [note] = notifications(alerts)
    assert note.message == (
        "Team growth is forecast to spend 2,303.00 usd in 2026-12, 115 % of its 2,000.00 usd monthly budget "
        "(675.00 usd spent through 2026-12-09, about 74.00 usd a day); at this rate the budget runs out on "
        "2026-12-27; the 50 %, 80 % and 100 % thresholds will be crossed before month-end."
    )
    # Once the actual crosses a threshold, the threshold alert replaces the forecast one for it.
    later = evaluate(ramp + spend("growth", date(2026, 12, 10), date(2026, 12, 20), 80), [budget(2000)],
                     as_of=date(2026, 12, 21), rules=RULES, days=[])
    assert kinds(later) == [(BUDGET_THRESHOLD, "team", "2026-12", 50), (BUDGET_FORECAST, "team", "2026-12", 80),
                            (BUDGET_FORECAST, "team", "2026-12", 100)]


def test_the_month_budget_is_the_one_valid_for_that_month_even_when_changed_mid_month():
    rows = spend("growth", date(2026, 10, 1), date(2026, 12, 19), 30)
    history = [budget(1000, valid_from=date(2026, 11, 1), budget_id=1),
               budget(1500, valid_from=date(2026, 12, 1), budget_id=2),   # made on Dec 15, valid from Dec 1
               budget(500, valid_from=date(2027, 1, 1), budget_id=3)]
    alerts = evaluate(rows, history, as_of=date(2026, 12, 20), rules=RULES,
                      months=[date(2026, 11, 1), date(2026, 12, 1)], days=[])
    assert kinds(alerts) == [(BUDGET_THRESHOLD, "team", "2026-11", 50), (BUDGET_THRESHOLD, "team", "2026-11", 80),
                             (BUDGET_FORECAST, "team", "2026-12", 50)]
    assert {a.budget for a in alerts if a.period == "2026-11"} == {Decimal(1000)}
    assert {a.budget for a in alerts if a.period == "2026-12"} == {Decimal(1500)}  # 930 projected: 62 %
    removed = [*history, budget(None, valid_from=date(2026, 12, 1), budget_id=4)]
    assert [a.period for a in evaluate(rows, removed, as_of=date(2026, 12, 20), rules=RULES,
                                       months=[date(2026, 11, 1), date(2026, 12, 1)], days=[])] == ["2026-11"] * 2


def test_a_month_rollover_starts_the_thresholds_again_and_closes_the_previous_month():
    rows = spend("growth", date(2026, 10, 1), date(2027, 1, 1), 40)
    # Collected through Jan 1 (as_of Jan 2): the default month is January; December is closed: no forecast.
    alerts = evaluate(rows, [budget(1000)], as_of=date(2027, 1, 2), rules=RULES, days=[])
    assert [a.period for a in alerts] == ["2027-01"] * 3 and {a.kind for a in alerts} == {BUDGET_FORECAST}
    december = evaluate(rows, [budget(1000)], as_of=date(2027, 1, 2), rules=RULES, months=[date(2026, 12, 1)], days=[])
    assert kinds(december) == [(BUDGET_THRESHOLD, "team", "2026-12", t) for t in (50, 80, 100)]
    assert december[0].value == 31 * Decimal(40)


def test_provider_and_project_budgets_count_only_their_spend():
    rows = (spend("growth", date(2026, 11, 1), date(2026, 12, 19), 10, provider="openai", project="proj_a")
            + spend("growth", date(2026, 11, 1), date(2026, 12, 19), 50, provider="anthropic", project="default"))
    budgets = [budget(1000, provider="openai", budget_id=1), budget(500, provider="anthropic", project_id="default",
                                                                    budget_id=2, thresholds=(100,))]
    alerts = evaluate(rows, budgets, as_of=date(2026, 12, 20), rules=RULES, days=[])
    assert [(a.kind, a.provider, a.scope, a.threshold, a.value) for a in alerts if a.kind == BUDGET_THRESHOLD] == [
        (BUDGET_THRESHOLD, "anthropic", "project:default", 100, Decimal(950)),
    ]
    assert "Team growth, anthropic project default spent 950.00 usd" in alerts[0].message


def test_spikes_are_alerted_per_team_and_per_model_and_new_teams_are_not():
    steady = spend("growth", date(2026, 11, 1), date(2026, 12, 19), 100, model="gpt-4o")
    steady += spend("growth", date(2026, 11, 1), date(2026, 12, 19),
                    lambda d: 400 if d == date(2026, 12, 17) else 20, model="gpt-4o-mini")
    newcomer = spend("fresh", date(2026, 12, 10), date(2026, 12, 19),
                     lambda d: 900 if d == date(2026, 12, 17) else 5, model="gpt-4o")
    alerts = evaluate(steady + newcomer, [], as_of=date(2026, 12, 20), rules=RULES)
    assert [(a.team_id, a.provider, a.scope, a.period, a.value, a.baseline) for a in alerts] == [
        ("growth", None, "team", "2026-12-17", Decimal(500), Decimal(120)),
        ("growth", "openai", "model:gpt-4o-mini", "2026-12-17", Decimal(400), Decimal(20)),
    ]
    assert alerts[0].kind == SPEND_ANOMALY and alerts[0].threshold is None and not alerts[0].provisional
    assert alerts[0].message == ("Team growth spent 500.00 usd on 2026-12-17, 4.2x its typical day (median 120.00 "
                                 "usd over the previous 28 settled days).")
    assert alerts[1].message.startswith("Team growth spent 400.00 usd on model gpt-4o-mini (openai) on 2026-12-17")


def test_default_days_and_the_spend_window_cover_what_evaluate_needs():
    as_of = date(2026, 12, 20)
    assert default_days(as_of, RULES) == [date(2026, 12, 17)]
    allowed = AlertRules(anomaly_provisional=True)
    assert default_days(as_of, allowed) == [date(2026, 12, 17), date(2026, 12, 18), date(2026, 12, 19)]
    assert spend_window(as_of, [date(2026, 11, 1)], [date(2026, 12, 17)], RULES) == (date(2026, 11, 1), as_of)
    assert spend_window(as_of, [date(2026, 12, 1)], [date(2026, 12, 17)], RULES) == (date(2026, 11, 19), as_of)


def test_rules_come_from_the_variables_and_bad_values_are_one_sentence():
    values = {"finops_anomaly_factor": "3", "finops_anomaly_min_amount": "25.5", "finops_anomaly_provisional": "True"}
    rules = AlertRules.from_variables(lambda name, default: values.get(name, default))
    assert rules == AlertRules(lookback_days=2, anomaly=AnomalyRule(Decimal(3), Decimal("25.5")), anomaly_provisional=True)
    assert AlertRules.from_variables(lambda name, default: default) == AlertRules()
    for bad in ({"finops_anomaly_factor": "1"}, {"finops_anomaly_min_amount": "-1"}, {"finops_lookback_days": "x"},
                {"finops_anomaly_provisional": "maybe"}):
        with pytest.raises(ConfigurationError, match="Admin > Variables"):
            AlertRules.from_variables(lambda name, default, bad=bad: bad.get(name, default))


def test_a_threshold_is_crossed_only_when_the_exact_month_to_date_reaches_it():
    from finops.alerts.evaluate import percent, reached

    just_below = Decimal("79.99999999999999999999999999999")  # 31 digits: 28 would round it to 80
    assert percent(just_below, Decimal(100)) == 79 and not reached(just_below, Decimal(100), 80)
    assert percent(Decimal(80), Decimal(100)) == 80 and reached(Decimal(80), Decimal(100), 80)
    rows = spend("growth", date(2026, 12, 1), date(2026, 12, 1), "79.99999999999999999999999999999")
    alerts = evaluate(rows, [budget(100)], as_of=date(2026, 12, 2), rules=RULES)
    assert [a.threshold for a in alerts if a.kind == BUDGET_THRESHOLD] == [50]

"""Spend anomalies: robust baseline, the three conditions, history, settled and provisional days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from finops.alerts.anomalies import AnomalyRule, Baseline, baseline, detect, is_anomalous, median

RULE = AnomalyRule(factor=Decimal("2.5"), min_amount=Decimal(50))
AS_OF = date(2026, 12, 20)  # collected through Dec 19; with a look-back of 2, Dec 18 and 19 are provisional


def series(first: date, last: date, amounts=(100, 96, 104, 99, 101, 95, 105)) -> dict[date, Decimal]:
    """A steady team around 100 a day (a fixed small wobble) from ``first`` to ``last`` inclusive."""
    return {first + timedelta(days=n): Decimal(amounts[n % len(amounts)]) for n in range((last - first).days + 1)}


def test_median_and_mad_of_the_previous_settled_days():
    assert median([Decimal(3), Decimal(1), Decimal(2)]) == 2
    assert median([Decimal(4), Decimal(1), Decimal(2), Decimal(3)]) == Decimal("2.5")
    daily = series(date(2026, 10, 1), date(2026, 12, 19))
    base = baseline(daily, date(2026, 12, 17), first_day=date(2026, 10, 1), before=date(2026, 12, 18))
    assert base == Baseline(median=Decimal(100), mad=Decimal(4), days=28)


def test_a_spike_is_flagged_only_when_far_above_relatively_absolutely_and_beyond_noise():
    base = Baseline(median=Decimal(100), mad=Decimal(4), days=28)
    assert is_anomalous(Decimal(300), base, RULE)
    assert not is_anomalous(Decimal(240), base, RULE)              # 2.4x: a busy day, not a spike
    tiny = Baseline(median=Decimal(2), mad=Decimal("0.1"), days=28)
    assert not is_anomalous(Decimal(40), tiny, RULE)               # 20x, but 38 above: nobody is paged
    assert is_anomalous(Decimal(60), tiny, RULE)
    noisy = Baseline(median=Decimal(100), mad=Decimal(60), days=28)
    assert not is_anomalous(Decimal(400), noisy, RULE)             # 300 above, within 5 x 1.4826 x 60
    assert is_anomalous(Decimal(550), noisy, RULE)
    idle = Baseline(median=Decimal(0), mad=Decimal(0), days=28)
    assert is_anomalous(Decimal(50), idle, RULE) and not is_anomalous(Decimal(49), idle, RULE)


def test_only_settled_days_are_judged_unless_provisional_ones_are_allowed():
    daily = series(date(2026, 10, 1), date(2026, 12, 19))
    for day in (date(2026, 12, 17), date(2026, 12, 18), date(2026, 12, 19)):
        daily[day] = Decimal(400)
    days = [date(2026, 12, 17), date(2026, 12, 18), date(2026, 12, 19), date(2026, 12, 20)]
    found = detect(daily, days, as_of=AS_OF, lookback_days=2, rule=RULE)
    assert [(a.day, a.provisional, a.ratio) for a in found] == [(date(2026, 12, 17), False, Decimal(4))]
    found = detect(daily, days, as_of=AS_OF, lookback_days=2, rule=RULE, provisional=True)
    assert [(a.day, a.provisional) for a in found] == [
        (date(2026, 12, 17), False), (date(2026, 12, 18), True), (date(2026, 12, 19), True),
    ]  # Dec 20 is not collected yet; the provisional days' baseline holds settled days only:
    assert found[2].baseline.median == Decimal(100) and found[2].baseline.days == 28


def test_a_new_team_is_not_flagged_until_it_has_two_weeks_of_history():
    first = date(2026, 12, 5)
    daily = series(first, date(2026, 12, 19))
    daily[date(2026, 12, 17)] = Decimal(1000)
    assert detect(daily, [date(2026, 12, 17)], as_of=AS_OF, lookback_days=2, rule=RULE) == []  # 12 days
    daily = series(date(2026, 12, 3), date(2026, 12, 19))
    daily[date(2026, 12, 17)] = Decimal(1000)
    found = detect(daily, [date(2026, 12, 17)], as_of=AS_OF, lookback_days=2, rule=RULE)  # 14 days
    assert [a.baseline.days for a in found] == [14]


def test_days_without_spend_count_as_zero_in_the_baseline():
    daily = {date(2026, 11, 1) + timedelta(days=n): Decimal(10) for n in range(0, 47, 7)}  # one day a week
    daily[date(2026, 12, 17)] = Decimal(80)
    found = detect(daily, [date(2026, 12, 17)], as_of=AS_OF, lookback_days=2, rule=RULE)
    assert [(a.baseline.median, a.ratio) for a in found] == [(Decimal(0), None)]


def test_weekday_swings_of_a_team_that_rests_at_weekends_are_not_spikes():
    start = date(2026, 9, 7)  # a Monday
    daily = {start + timedelta(days=n): Decimal(0 if (start + timedelta(days=n)).weekday() >= 5 else 300)
             for n in range(104)}
    days = [d for d in daily if d >= date(2026, 10, 10)]
    assert detect(daily, days, as_of=AS_OF, lookback_days=2, rule=RULE) == []


def test_each_day_is_judged_with_its_outcome_and_judged_days_are_skipped():
    from finops.alerts.anomalies import NO_HISTORY, NORMAL, SPIKE, judge
    from finops.alerts.evaluate import judge_anomalies, series_key
    from finops.alerts.models import DailySpend
    from finops.alerts.rules import AlertRules

    daily = series(date(2026, 11, 1), date(2026, 12, 19))
    daily[date(2026, 12, 10)] = Decimal(600)
    verdicts = {v.day: v.outcome for v in judge(daily, daily, as_of=AS_OF, lookback_days=2, rule=RULE)}
    assert verdicts[date(2026, 11, 1)] == verdicts[date(2026, 11, 14)] == NO_HISTORY
    assert verdicts[date(2026, 11, 15)] == NORMAL and verdicts[date(2026, 12, 10)] == SPIKE
    assert max(verdicts) == date(2026, 12, 17)  # settled days only

    rows = [DailySpend("growth", "openai", "proj_a", d, "usd", a, "gpt-4o") for d, a in daily.items()]
    rules = AlertRules(anomaly=RULE)
    spike = date(2026, 12, 10)
    team, model = series_key("growth", None, None, "usd"), series_key("growth", "openai", "gpt-4o", "usd")
    assert team == ("growth", "", "team", "usd") and model == ("growth", "openai", "model:gpt-4o", "usd")
    found = judge_anomalies(rows, [spike], AS_OF, rules)
    assert [(v.series, v.judgement.outcome, v.alert.period) for v in found] == [
        (team, SPIKE, "2026-12-10"), (model, SPIKE, "2026-12-10")]
    # Judged once: a later run skips the day for that series, and days without spend are never judged.
    assert [v.series for v in judge_anomalies(rows, [spike], AS_OF, rules, {(team, spike)})] == [model]
    assert judge_anomalies(rows, [spike], AS_OF, rules, {(team, spike), (model, spike)}) == []
    assert judge_anomalies(rows, [date(2026, 10, 1)], AS_OF, rules) == []


def test_the_spike_conditions_compare_exactly_past_28_digits():
    typical = Decimal("12345.670000000035000000000000004")  # 12345.67 + 3.5000000000000004E-8: 32 digits
    base = Baseline(median=typical, mad=Decimal(0), days=28)
    rule = AnomalyRule(factor=Decimal(3), min_amount=Decimal(50))
    # 3 x typical is ...105000000000000012; a day one unit of the last digit below it is not 3x its typical day
    # (the default 28-digit context rounded 3 x typical down to ...1050000000000 and flagged it).
    assert is_anomalous(Decimal("37037.010000000105000000000000011"), base, rule) is False
    assert is_anomalous(Decimal("37037.010000000105000000000000012"), base, rule) is True
    days = {date(2026, 11, 1) + timedelta(days=n): typical if n % 2 else Decimal("12345.67") for n in range(28)}
    found = baseline(days, date(2026, 11, 29), first_day=date(2026, 11, 1), before=date(2026, 11, 29))
    assert found.mad == (typical - Decimal("12345.67")) / 2  # each day's deviation subtracted exactly

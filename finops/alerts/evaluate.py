"""Which alerts the spend and budgets call for at a reference date: pure, so a rerun returns the same alerts.

``evaluate`` returns every alert whose condition holds (not only new ones); recording them under
the alerts' uniqueness rule is what makes each fire once. ``notifications`` folds the alerts of
one group (thresholds crossed at once) into one message.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from finops.alerts.anomalies import BASELINE_DAYS, Anomaly, Judgement, judge
from finops.alerts.forecast import PROFILE_DAYS, Forecast, forecast_month, settled_before
from finops.alerts.models import (
    BUDGET_FORECAST,
    BUDGET_THRESHOLD,
    SPEND_ANOMALY,
    Alert,
    Budget,
    DailySpend,
    effective_budgets,
    month_label,
    month_start,
    next_month,
)
from finops.alerts.rules import AlertRules
from finops.alerts.spend import Series, budget_series, group_series
from finops.money import EXACT

TEAM_SCOPE = "team"
#: A spend series judged for anomalies: (team, provider or '' for every provider, scope, currency).
SeriesKey = tuple[str, str, str, str]


def money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal('0.01')):,} {currency}"


def percent(value: Decimal, budget: Decimal) -> Decimal:
    """Share of the budget in whole percent, rounded down (79.9 % is not yet 80 %), exactly whatever the digits."""
    if value < 0:
        return (value * 100 / budget).to_integral_value(rounding=ROUND_DOWN)
    return EXACT.divide_int(EXACT.multiply(value, 100), budget)


def reached(value: Decimal, budget: Decimal, threshold: int) -> bool:
    """Whether ``value`` is at least ``threshold`` percent of ``budget``, compared exactly."""
    return EXACT.multiply(value, 100) >= EXACT.multiply(budget, threshold)


def deliver_from(as_of: date) -> date:
    """The first day whose anomalies are sent: the previous month's first day (older ones are recorded, not sent)."""
    return month_start(month_start(as_of) - timedelta(days=1))


def default_days(as_of: date, rules: AlertRules) -> list[date]:
    """Without a window: the day that the data up to ``as_of`` settles, and the provisional days if allowed."""
    boundary = settled_before(as_of, rules.lookback_days)
    days = [boundary - timedelta(days=1)]
    if rules.anomaly_provisional:
        days += [boundary + timedelta(days=n) for n in range((as_of - boundary).days)]
    return days


def spend_window(as_of: date, months: Iterable[date], days: Iterable[date], rules: AlertRules) -> tuple[date, date]:
    """The days of spend ``evaluate`` needs: baselines, run rates and month-to-date of what it evaluates."""
    starts = [month_start(m) for m in months] + [d - timedelta(days=BASELINE_DAYS) for d in days]
    starts.append(settled_before(as_of, rules.lookback_days) - timedelta(days=PROFILE_DAYS))
    return min(starts), as_of


def evaluate(spend: Iterable[DailySpend], budgets: Iterable[Budget], *, as_of: date, rules: AlertRules,
             months: Iterable[date] | None = None, days: Iterable[date] | None = None,
             collected: Mapping[tuple[str, str], date] | None = None) -> list[Alert]:
    """The alerts to fire for ``months`` (budgets) and ``days`` (anomalies), given spend collected before ``as_of``.

    ``spend`` must cover ``spend_window(...)``; rows with a model feed the per-model anomalies.
    Defaults: the month of the last collected day, and ``default_days``; ``collected`` as in ``budget_alerts_of``.
    """
    spend = list(spend)
    days = sorted(set(days) if days is not None else default_days(as_of, rules))
    alerts = budget_alerts_of(spend, budgets, as_of=as_of, rules=rules, months=months, collected=collected)
    alerts += anomaly_alerts(spend, days, as_of, rules)
    return alerts


def budget_alerts_of(spend: Iterable[DailySpend], budgets: Iterable[Budget], *, as_of: date, rules: AlertRules,
                     months: Iterable[date] | None = None,
                     collected: Mapping[tuple[str, str], date] | None = None) -> list[Alert]:
    """The budget threshold and forecast alerts of ``months`` (default: the month of the last collected day).

    ``collected`` maps (team, provider) to the exclusive end of the days its collections covered; None
    counts every day before ``as_of`` as collected (see ``known_until``).
    """
    months = sorted({month_start(m) for m in months} if months is not None else {month_start(as_of - timedelta(days=1))})
    by_team: dict[str, list[DailySpend]] = {}
    for row in spend:
        by_team.setdefault(row.team_id, []).append(row)
    reach = reach_by_team(collected)
    alerts: list[Alert] = []
    for month in months:
        for budget in effective_budgets(budgets, month):
            alerts += budget_alerts(by_team.get(budget.team_id, []), budget, month, as_of, rules,
                                    reach=None if collected is None else reach.get(budget.team_id, {}))
    return alerts


def reach_by_team(collected: Mapping[tuple[str, str], date] | None) -> dict[str, dict[str, date]]:
    """``collected`` regrouped as team -> provider -> exclusive end, read once per budget."""
    grouped: dict[str, dict[str, date]] = {}
    for (team_id, provider), end in (collected or {}).items():
        grouped.setdefault(team_id, {})[provider] = end
    return grouped


def known_until(series: Series, budget: Budget, as_of: date, reach: Mapping[str, date] | None) -> date:
    """The exclusive end of the days known for ``budget``: the latest of its collections' reach and its last day with spend.

    ``reach`` maps each provider of the team to its collections' exclusive end; None means every day
    before ``as_of`` is known. Days from the result on are not collected: unknown, not zero.
    """
    if reach is None:
        return as_of
    ends = [end for provider, end in reach.items() if budget.provider in (None, provider)]
    last = max((d for d, v in series.items() if d < as_of and v), default=None)
    if last is not None:
        ends.append(last + timedelta(days=1))
    return min(max(ends), as_of) if ends else month_start(as_of)


def budget_forecast(spend: list[DailySpend], budget: Budget, month: date, as_of: date, rules: AlertRules,
                    reach: Mapping[str, date] | None = None) -> Forecast:
    """The budget's month: actual and projection over the days collected (``known_until``)."""
    series = budget_series(spend, budget)
    return forecast_month(series, month, as_of, lookback_days=rules.lookback_days, budget=budget.amount,
                          method=rules.forecast_method, known_until=known_until(series, budget, as_of, reach))


def budget_alerts(spend: list[DailySpend], budget: Budget, month: date, as_of: date, rules: AlertRules,
                  reach: Mapping[str, date] | None = None) -> list[Alert]:
    """Thresholds the month-to-date has crossed, and those the projection crosses before the actual does.

    A month with no collected day holds its forecast back (no projection, no forecast alert).
    """
    forecast = budget_forecast(spend, budget, month, as_of, rules, reach)
    amount = budget.amount
    assert amount is not None  # effective budgets have an amount
    crossed = [t for t in budget.thresholds if reached(forecast.actual, amount, t)]
    alerts = [_threshold_alert(budget, forecast, t) for t in crossed]
    month_open = as_of < next_month(month)
    if month_open and forecast.projected is not None and forecast.has_data:
        alerts += [_forecast_alert(budget, forecast, t) for t in budget.thresholds
                   if t not in crossed and reached(forecast.projected, amount, t)]
    return alerts


def _budget_scope(budget: Budget) -> str:
    return f"project:{budget.project_id}" if budget.project_id else TEAM_SCOPE


def _behind(forecast: Forecast) -> str:
    """What a message says when the collected days stop short of the reference date."""
    if not forecast.days_behind:
        return ""
    return (f"costs are collected only through {forecast.last_day}: the {forecast.days_behind} day(s) after it "
            "are not collected yet and count as unknown, not as zero")


def _aside(text: str) -> str:
    return f" ({text})" if text else ""


def _threshold_alert(budget: Budget, forecast: Forecast, threshold: int) -> Alert:
    amount = budget.amount or Decimal(0)
    pending = f", {forecast.provisional_days} of its days not settled yet" if forecast.provisional_days else ""
    summary = (f"{budget.describe().capitalize()} spent {money(forecast.actual, budget.currency)} in "
               f"{month_label(forecast.month)} through {forecast.last_day}{pending}{_aside(_behind(forecast))}: "
               f"{percent(forecast.actual, amount)} % of its {money(amount, budget.currency)} monthly budget")
    return Alert(kind=BUDGET_THRESHOLD, team_id=budget.team_id, provider=budget.provider, scope=_budget_scope(budget),
                 period=month_label(forecast.month), threshold=threshold, value=forecast.actual,
                 currency=budget.currency, budget=amount, summary=summary,
                 message=f"{summary}; the {threshold} % threshold is crossed.")


def _forecast_alert(budget: Budget, forecast: Forecast, threshold: int) -> Alert:
    amount = budget.amount or Decimal(0)
    projected = forecast.projected or Decimal(0)
    behind = _behind(forecast)
    runs_out = (f"; at this rate the budget runs out on {forecast.runs_out_on}"
                if forecast.runs_out_on else "")
    summary = (f"{budget.describe().capitalize()} is forecast to spend {money(projected, budget.currency)} in "
               f"{month_label(forecast.month)}, {percent(projected, amount)} % of its "
               f"{money(amount, budget.currency)} monthly budget ({money(forecast.actual, budget.currency)} spent "
               f"through {forecast.last_day}, about {money(forecast.daily_rate or Decimal(0), budget.currency)} "
               f"a day{'; ' + behind if behind else ''}){runs_out}")
    return Alert(kind=BUDGET_FORECAST, team_id=budget.team_id, provider=budget.provider, scope=_budget_scope(budget),
                 period=month_label(forecast.month), threshold=threshold, value=projected,
                 currency=budget.currency, budget=amount, summary=summary,
                 message=f"{summary}; the {threshold} % threshold will be crossed before month-end.")


def anomaly_alerts(spend: list[DailySpend], days: list[date], as_of: date, rules: AlertRules) -> list[Alert]:
    """Anomalous days per team (all providers) and per team, provider and model."""
    return [v.alert for v in judge_anomalies(spend, days, as_of, rules) if v.alert is not None]


@dataclass(frozen=True, slots=True)
class Verdict:
    """One day of one series judged: the judgement and, for a spike, its alert."""

    series: SeriesKey
    judgement: Judgement
    alert: Alert | None


def series_key(team_id: str, provider: str | None, model: str | None, currency: str) -> SeriesKey:
    """A series' identity in ``finops.anomaly_judgements`` (a future ``api_key:<id>`` scope fits the same shape)."""
    return (team_id, provider or "", f"model:{model}" if model else TEAM_SCOPE, currency)


def judge_anomalies(spend: list[DailySpend], days: Iterable[date], as_of: date, rules: AlertRules,
                    judged: Collection[tuple[SeriesKey, date]] = frozenset()) -> list[Verdict]:
    """Judge ``days`` per team (all providers) and per team, provider and model; days with spend only.

    Settled days already in ``judged`` (series, day) are skipped: each is judged once. Provisional days
    (when allowed) are judged every time and never count as judged.
    """
    days = sorted(set(days))
    verdicts: list[Verdict] = []
    per_team = group_series(spend, lambda r: (r.team_id, None, None, r.currency))
    per_model = group_series(spend, lambda r: (r.team_id, r.provider, r.model, r.currency) if r.model else None)
    boundary = settled_before(as_of, rules.lookback_days)
    for (team_id, provider, model, currency), series in sorted({**per_team, **per_model}.items(), key=_order):
        key = series_key(team_id, provider, model, currency)
        todo = [d for d in days if series.get(d) and (d >= boundary or (key, d) not in judged)]
        if not todo:
            continue
        first = min((d for d, v in series.items() if v), default=None)
        for verdict in judge(series, todo, as_of=as_of, lookback_days=rules.lookback_days, rule=rules.anomaly,
                             provisional=rules.anomaly_provisional, first_day=first):
            anomaly = verdict.anomaly()
            alert = _anomaly_alert(team_id, provider, model, currency, anomaly) if anomaly else None
            verdicts.append(Verdict(series=key, judgement=verdict, alert=alert))
    return verdicts


def _order(item: tuple) -> tuple:
    team_id, provider, model, currency = item[0]
    return (team_id, provider or "", model or "", currency)


def _anomaly_alert(team_id: str, provider: str | None, model: str | None, currency: str, anomaly: Anomaly) -> Alert:
    what = f" on model {model} ({provider})" if model else ""
    ratio = f"{anomaly.ratio.quantize(Decimal('0.1'))}x" if anomaly.ratio is not None else "far above"
    note = " (provisional: the day is not settled yet and may still change)" if anomaly.provisional else ""
    summary = (f"Team {team_id} spent {money(anomaly.value, currency)}{what} on {anomaly.day}{note}, {ratio} its "
               f"typical day (median {money(anomaly.baseline.median, currency)} over the previous "
               f"{anomaly.baseline.days} settled days)")
    return Alert(kind=SPEND_ANOMALY, team_id=team_id, provider=provider, scope=f"model:{model}" if model else TEAM_SCOPE,
                 period=anomaly.day.isoformat(), threshold=None, value=anomaly.value, currency=currency,
                 baseline=anomaly.baseline.median, summary=summary, message=f"{summary}.",
                 provisional=anomaly.provisional)


@dataclass(frozen=True, slots=True)
class Notification:
    """One message for the alerts of one group (several thresholds crossed at once are told together)."""

    alerts: tuple[Alert, ...]
    message: str


def notifications(alerts: Iterable[Alert], link: Callable[[str], str] | None = None) -> list[Notification]:
    """One notification per group of ``alerts`` (give the newly recorded ones), in order of first appearance."""
    groups: dict[tuple, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(alert.group, []).append(alert)
    found = []
    for members in groups.values():
        members.sort(key=lambda a: a.threshold or 0)
        first = members[0]
        if len(members) == 1:
            message = first.message
        else:
            listed = ", ".join(f"{a.threshold} %" for a in members[:-1]) + f" and {members[-1].threshold} %"
            verb = "will be crossed before month-end" if first.kind == BUDGET_FORECAST else "are crossed"
            message = f"{first.summary}; the {listed} thresholds {verb}."
        if link is not None:
            message += f" See {link(first.team_id)}"
        found.append(Notification(alerts=tuple(members), message=message))
    return found

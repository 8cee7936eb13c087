"""Which alerts the spend and budgets call for at a reference date: pure, so a rerun returns the same alerts.

``evaluate`` returns every alert whose condition holds (not only new ones); recording them under
the alerts' uniqueness rule is what makes each fire once. ``notifications`` folds the alerts of
one group (thresholds crossed at once) into one message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from finops.alerts.anomalies import BASELINE_DAYS, Anomaly, detect
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
from finops.alerts.spend import budget_series, group_series

TEAM_SCOPE = "team"


def money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal('0.01')):,} {currency}"


def percent(value: Decimal, budget: Decimal) -> Decimal:
    """Share of the budget in whole percent, rounded down (79.9 % is not yet 80 %)."""
    return (value * 100 / budget).to_integral_value(rounding=ROUND_DOWN)


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
             months: Iterable[date] | None = None, days: Iterable[date] | None = None) -> list[Alert]:
    """The alerts to fire for ``months`` (budgets) and ``days`` (anomalies), given spend collected before ``as_of``.

    ``spend`` must cover ``spend_window(...)``; rows with a model feed the per-model anomalies.
    Defaults: the month of the last collected day, and ``default_days``.
    """
    spend = list(spend)
    budgets = list(budgets)
    months = sorted({month_start(m) for m in months} if months is not None else {month_start(as_of - timedelta(days=1))})
    days = sorted(set(days) if days is not None else default_days(as_of, rules))
    by_team: dict[str, list[DailySpend]] = {}
    for row in spend:
        by_team.setdefault(row.team_id, []).append(row)
    alerts: list[Alert] = []
    for month in months:
        for budget in effective_budgets(budgets, month):
            alerts += budget_alerts(by_team.get(budget.team_id, []), budget, month, as_of, rules)
    alerts += anomaly_alerts(spend, days, as_of, rules)
    return alerts


def budget_alerts(spend: list[DailySpend], budget: Budget, month: date, as_of: date, rules: AlertRules) -> list[Alert]:
    """Thresholds the month-to-date has crossed, and those the projection crosses before the actual does."""
    series = budget_series(spend, budget)
    forecast = forecast_month(series, month, as_of, lookback_days=rules.lookback_days, budget=budget.amount,
                              method=rules.forecast_method)
    amount = budget.amount
    assert amount is not None  # effective budgets have an amount
    crossed = [t for t in budget.thresholds if forecast.actual * 100 >= amount * t]
    alerts = [_threshold_alert(budget, forecast, t) for t in crossed]
    month_open = as_of < next_month(month)
    if month_open and forecast.projected is not None:
        alerts += [_forecast_alert(budget, forecast, t) for t in budget.thresholds
                   if t not in crossed and forecast.projected * 100 >= amount * t]
    return alerts


def _budget_scope(budget: Budget) -> str:
    return f"project:{budget.project_id}" if budget.project_id else TEAM_SCOPE


def _threshold_alert(budget: Budget, forecast: Forecast, threshold: int) -> Alert:
    amount = budget.amount or Decimal(0)
    pending = f", {forecast.provisional_days} of its days not settled yet" if forecast.provisional_days else ""
    summary = (f"{budget.describe().capitalize()} spent {money(forecast.actual, budget.currency)} in "
               f"{month_label(forecast.month)} through {forecast.last_day}{pending}: "
               f"{percent(forecast.actual, amount)} % of its {money(amount, budget.currency)} monthly budget")
    return Alert(kind=BUDGET_THRESHOLD, team_id=budget.team_id, provider=budget.provider, scope=_budget_scope(budget),
                 period=month_label(forecast.month), threshold=threshold, value=forecast.actual,
                 currency=budget.currency, budget=amount, summary=summary,
                 message=f"{summary}; the {threshold} % threshold is crossed.")


def _forecast_alert(budget: Budget, forecast: Forecast, threshold: int) -> Alert:
    amount = budget.amount or Decimal(0)
    projected = forecast.projected or Decimal(0)
    runs_out = (f"; at this rate the budget runs out on {forecast.runs_out_on}"
                if forecast.runs_out_on else "")
    summary = (f"{budget.describe().capitalize()} is forecast to spend {money(projected, budget.currency)} in "
               f"{month_label(forecast.month)}, {percent(projected, amount)} % of its "
               f"{money(amount, budget.currency)} monthly budget ({money(forecast.actual, budget.currency)} spent "
               f"through {forecast.last_day}, about {money(forecast.daily_rate or Decimal(0), budget.currency)} "
               f"a day){runs_out}")
    return Alert(kind=BUDGET_FORECAST, team_id=budget.team_id, provider=budget.provider, scope=_budget_scope(budget),
                 period=month_label(forecast.month), threshold=threshold, value=projected,
                 currency=budget.currency, budget=amount, summary=summary,
                 message=f"{summary}; the {threshold} % threshold will be crossed before month-end.")


def anomaly_alerts(spend: list[DailySpend], days: list[date], as_of: date, rules: AlertRules) -> list[Alert]:
    """Anomalous days per team (all providers) and per team, provider and model."""
    alerts: list[Alert] = []
    per_team = group_series(spend, lambda r: (r.team_id, None, None, r.currency))
    per_model = group_series(spend, lambda r: (r.team_id, r.provider, r.model, r.currency) if r.model else None)
    for (team_id, provider, model, currency), series in sorted({**per_team, **per_model}.items(), key=_order):
        for anomaly in detect(series, days, as_of=as_of, lookback_days=rules.lookback_days, rule=rules.anomaly,
                              provisional=rules.anomaly_provisional):
            alerts.append(_anomaly_alert(team_id, provider, model, currency, anomaly))
    return alerts


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

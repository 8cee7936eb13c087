"""Month-to-date against budget for the overview: the spend-alerts DAG's own budgets, spend sums and forecast.

The panel evaluates what a manual run of ``finops_spend_alerts`` on the same UTC day evaluates: spend
collected before today (``as_of`` = today), the budgets in force for the current month, the same
spend window, run rate and look-back (docs/budgets-and-alerts.md), so its figures are the alerts'.
Days after the last one collected (``collected_until``, as the alerts DAG reads it) are unknown, not
zero: they are projected, and the budget never runs out on one of them before the last day known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from finops.alerts.forecast import Forecast
from finops.alerts.models import Budget
from finops.warehouse.db import FINOPS_DB_CONN_ID


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """One budget in force this month: its month-to-date, projection and the day it runs out at that rate."""

    budget: Budget
    forecast: Forecast

    @property
    def amount(self) -> Decimal:
        return self.budget.amount or Decimal(0)

    @property
    def utilization(self) -> Decimal:
        """Month-to-date in whole percent of the budget, rounded down (as the alerts count thresholds)."""
        from finops.alerts.evaluate import percent

        return percent(self.forecast.actual, self.amount)

    @property
    def projected_utilization(self) -> Decimal | None:
        from finops.alerts.evaluate import percent

        return None if self.forecast.projected is None else percent(self.forecast.projected, self.amount)

    @property
    def crossed(self) -> tuple[int, ...]:
        """The thresholds the month-to-date has crossed."""
        return tuple(t for t in self.budget.thresholds if self.forecast.actual * 100 >= self.amount * t)


@dataclass(frozen=True)
class BudgetPanel:
    """The budgets of the current UTC month (of every team, or of one), or why they cannot be shown."""

    month: date
    as_of: date
    lookback_days: int
    method: str
    statuses: list[BudgetStatus] = field(default_factory=list)
    error: str | None = None

    @property
    def through(self) -> date:
        """The last day the month-to-date covers (the day before ``as_of``)."""
        return self.as_of - timedelta(days=1)

    @property
    def unsettled_from(self) -> date:
        """The first day later collections may still change (its spend counts at least at the run rate)."""
        from finops.alerts.forecast import settled_before

        return settled_before(self.as_of, self.lookback_days)


def budget_panel(today: date, *, team_id: str | None = None, conn_id: str = FINOPS_DB_CONN_ID,
                 teams: list[str] | None = None) -> BudgetPanel:
    """Every budget in force in ``today``'s month (of ``team_id``, or of ``teams``; None: every team) with its
    month-to-date and forecast, as the alerts DAG sees them."""
    from finops.alerts.budgets import budgets
    from finops.alerts.evaluate import budget_forecast, default_days, reach_by_team, spend_window
    from finops.alerts.forecast import DEFAULT_METHOD
    from finops.alerts.models import effective_budgets, month_start
    from finops.alerts.rules import AlertRules
    from finops.alerts.spend import collected_until, load_daily_spend
    from finops.errors import ConfigurationError
    from finops.lookup import get_variable

    month = month_start(today)
    try:
        rules = AlertRules.from_variables(get_variable)
    except ConfigurationError as exc:
        return BudgetPanel(month=month, as_of=today, lookback_days=0, method=DEFAULT_METHOD, error=str(exc))
    panel = BudgetPanel(month=month, as_of=today, lookback_days=rules.lookback_days, method=rules.forecast_method)
    in_force = [b for b in effective_budgets(budgets(team_id, conn_id=conn_id), month)
                if teams is None or b.team_id in teams]
    if not in_force:
        return panel
    # The window of a manual run (current and previous month), so the series' first day is the DAG's too.
    previous = month_start(month - timedelta(days=1))
    start, end = spend_window(today, (previous, month), default_days(today, rules), rules)
    teams = sorted({b.team_id for b in in_force})
    spend = load_daily_spend(start, end, teams, conn_id=conn_id)
    reach = reach_by_team(collected_until(today, teams, conn_id=conn_id))
    for budget in in_force:
        forecast = budget_forecast(spend, budget, month, today, rules, reach.get(budget.team_id, {}))
        panel.statuses.append(BudgetStatus(budget=budget, forecast=forecast))
    return panel

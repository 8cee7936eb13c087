"""Budgets, daily spend and alerts as small typed values (amounts exact, dates in UTC)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

#: Alert kinds, as recorded in ``finops.alerts.kind``.
BUDGET_THRESHOLD = "budget_threshold"
BUDGET_FORECAST = "budget_forecast"
SPEND_ANOMALY = "spend_anomaly"
DEFAULT_THRESHOLDS = (50, 80, 100)


def utc_day(moment: datetime) -> date:
    """The UTC date of an aware moment (a data interval end, a run's logical date); naive ones are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; give an aware datetime (Airflow's are UTC)")
    return moment.astimezone(UTC).date()


def month_start(day: date) -> date:
    """The first day of ``day``'s UTC calendar month."""
    return day.replace(day=1)


def next_month(first: date) -> date:
    """The first day of the month after the one starting on ``first``."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_label(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


@dataclass(frozen=True, slots=True)
class Budget:
    """One change of a budget: valid from ``valid_from`` (a month's first day) until the scope's next change.

    ``amount`` None is a removal: no budget from that month on.
    """

    budget_id: int
    team_id: str
    provider: str | None
    project_id: str | None
    valid_from: date
    amount: Decimal | None
    currency: str
    thresholds: tuple[int, ...]
    created_at: datetime | None = None
    created_by: str = ""
    cancelled_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "thresholds", tuple(sorted(self.thresholds)))

    @property
    def scope(self) -> tuple[str, str | None, str | None]:
        """What the budget covers: the team, narrowed to a provider and to a project when set."""
        return (self.team_id, self.provider, self.project_id)

    def describe(self) -> str:
        """The budget's scope in words, for messages: ``team growth`` / ``team growth, openai project proj_x``."""
        if self.project_id:
            return f"team {self.team_id}, {self.provider} project {self.project_id}"
        if self.provider:
            return f"team {self.team_id} on {self.provider}"
        return f"team {self.team_id}"


def effective_budgets(budgets: Iterable[Budget], month: date) -> list[Budget]:
    """The budget of each scope for ``month``: its latest change valid from that month or earlier.

    A change made in the middle of a month with ``--from`` that month applies to the whole month;
    cancelled changes and removals give no budget.
    """
    first = month_start(month)
    latest: dict[tuple[str, str | None, str | None], Budget] = {}
    for budget in budgets:
        if budget.cancelled_at is not None or budget.valid_from > first:
            continue
        current = latest.get(budget.scope)
        if current is None or (budget.valid_from, budget.budget_id) > (current.valid_from, current.budget_id):
            latest[budget.scope] = budget
    return sorted((b for b in latest.values() if b.amount is not None), key=lambda b: _scope_order(b.scope))


def _scope_order(scope: tuple[str, str | None, str | None]) -> tuple[str, str, str]:
    return (scope[0], scope[1] or "", scope[2] or "")


@dataclass(frozen=True, slots=True)
class DailySpend:
    """A day's spend of one team, provider, project and model (model None where the line item names none).

    ``project_id`` None: all the team's projects summed (``load_daily_spend(..., project_teams=...)``).
    """

    team_id: str
    provider: str
    project_id: str | None
    usage_date: date
    currency: str
    amount: Decimal
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert to fire; (kind, team_id, provider, scope, period, threshold) is its identity.

    ``threshold`` is the budget percentage for budget alerts and None for anomalies; ``value`` is
    the month-to-date, the projected month-end or the day's spend; ``baseline`` the anomaly's
    typical day; ``budget`` the month's budget. ``summary`` is the message without the threshold,
    shared by the alerts of one group.
    """

    kind: str
    team_id: str
    provider: str | None
    scope: str
    period: str
    threshold: int | None
    value: Decimal
    currency: str
    message: str
    summary: str = ""
    baseline: Decimal | None = None
    budget: Decimal | None = None
    provisional: bool = False

    @property
    def key(self) -> tuple[str, str, str | None, str, str, int | None]:
        return (self.kind, self.team_id, self.provider, self.scope, self.period, self.threshold)

    @property
    def group(self) -> tuple[str, str, str | None, str, str]:
        """Alerts of one group are told in one message (several thresholds crossed at once)."""
        return (self.kind, self.team_id, self.provider, self.scope, self.period)

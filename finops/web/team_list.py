"""The team list: one row per team (keys, last collection, spend, budget, alerts), searched, sorted and paged."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query

from finops import paths
from finops.money import ZERO
from finops.providers import PROVIDERS

SPEND_DAYS = 30
TEAMS_PER_PAGE = 25

SortKey = Literal["name", "team", "spend", "month", "budget", "alerts", "collected"]
SORTS: dict[str, str] = {"name": "Team", "team": "Team id", "spend": f"Last {SPEND_DAYS} days",
                         "month": "Month to date", "budget": "Budget used", "alerts": "Alerts this month",
                         "collected": "Last collection"}
SortParam = Annotated[SortKey, Query(description="Sort the teams by this column.")]
OrderParam = Annotated[Literal["asc", "desc"], Query(description="Ascending or descending.")]


@dataclass(frozen=True)
class ProviderState:
    """One provider of a team in the list: its key's status and the latest collection attempt."""

    provider: str
    label: str
    key_status: str | None
    run_status: str | None
    finished_at: datetime | None


@dataclass
class TeamRow:
    """One row of the team list."""

    team_id: str
    name: str
    active: bool
    providers: list[ProviderState] = field(default_factory=list)
    spend: dict[str, Decimal] = field(default_factory=dict)
    month_to_date: dict[str, Decimal] = field(default_factory=dict)
    budget: Decimal | None = None
    budget_currency: str = "usd"
    alerts: int = 0

    @property
    def budget_used(self) -> Decimal | None:
        """Month to date over the team-wide budget (an estimate: a share, not money)."""
        if not self.budget:
            return None
        return self.month_to_date.get(self.budget_currency, ZERO) / self.budget

    @property
    def last_collected(self) -> datetime | None:
        return max((p.finished_at for p in self.providers if p.finished_at), default=None)


@dataclass(frozen=True)
class TeamList:
    """One page of the list, with what the page needs to link to the others."""

    rows: list[TeamRow]
    inactive: list[TeamRow]
    query: str
    sort: str
    order: str
    page: int
    pages: int
    matching: int
    active: int
    spend_days: int = SPEND_DAYS
    per_page: int = TEAMS_PER_PAGE


def _sort_value(row: TeamRow, sort: str) -> object:
    """The row's value in the sorted column (None when it has none: such rows come last in either order)."""
    values = {
        "name": row.name.casefold(), "team": row.team_id, "spend": row.spend.get("usd", ZERO),
        "month": row.month_to_date.get("usd", ZERO), "budget": row.budget_used, "alerts": row.alerts,
        "collected": row.last_collected,
    }
    return values[sort]


def _rows(today: date) -> list[TeamRow]:
    from finops.warehouse.db import connect

    month_start = today.replace(day=1)
    rows: dict[str, TeamRow] = {}
    with connect() as conn:
        for team_id, name, active, provider, key_status, run_status, finished_at in conn.execute(
                paths.sql("web/team_list"), {"providers": list(PROVIDERS)}):
            row = rows.setdefault(team_id, TeamRow(team_id=team_id, name=name, active=active))
            row.providers.append(ProviderState(provider, PROVIDERS[provider].label, key_status, run_status,
                                               finished_at))
        params = {"since": today - timedelta(days=SPEND_DAYS - 1), "month_start": month_start, "today": today}
        for team_id, currency, last_days, month_to_date in conn.execute(paths.sql("web/team_list_spend"), params):
            if team_id in rows:
                rows[team_id].spend[currency] = last_days
                rows[team_id].month_to_date[currency] = month_to_date
        for team_id, alerts in conn.execute(paths.sql("web/team_list_alerts"), {"month_start": month_start}):
            if team_id in rows:
                rows[team_id].alerts = alerts
    return list(rows.values())


def _team_budgets(rows: list[TeamRow], today: date) -> None:
    """Each team's budget for all providers in force this month (the figure the list compares with)."""
    from finops.alerts.budgets import budgets
    from finops.alerts.models import effective_budgets, month_start

    per_team: dict[str, list] = defaultdict(list)
    for b in budgets():
        per_team[b.team_id].append(b)
    for row in rows:
        for b in effective_budgets(per_team.get(row.team_id, []), month_start(today)):
            if b.provider is None and b.project_id is None and b.amount is not None:
                row.budget, row.budget_currency = b.amount, b.currency


def team_list(today: date, *, query: str = "", sort: str = "name", order: str = "asc", page: int = 1,
              focus: str | None = None, per_page: int = TEAMS_PER_PAGE,
              teams: frozenset[str] | None = None) -> TeamList:
    """The active teams whose id or name contains ``query``, sorted, one page of them (``focus``'s page if given);
    ``teams`` (the user's visible teams; None is every team) keeps only those."""
    rows = [r for r in _rows(today) if teams is None or r.team_id in teams]
    _team_budgets(rows, today)
    active = [r for r in rows if r.active]
    needle = query.strip().casefold()
    matching = [r for r in active if needle in r.team_id.casefold() or needle in r.name.casefold()]
    matching.sort(key=lambda r: r.team_id)  # ties keep team id order in either direction (the sort is stable)
    present = [r for r in matching if _sort_value(r, sort) is not None]
    missing = [r for r in matching if _sort_value(r, sort) is None]
    present.sort(key=lambda r: _sort_value(r, sort), reverse=order == "desc")
    ordered = present + missing
    pages = max(1, -(-len(ordered) // per_page))
    ids = [r.team_id for r in ordered]
    if focus in ids:
        page = ids.index(focus) // per_page + 1
    page = min(max(1, page), pages)
    return TeamList(rows=ordered[(page - 1) * per_page:page * per_page],
                    inactive=[r for r in rows if not r.active], query=query.strip(), sort=sort, order=order,
                    page=page, pages=pages, matching=len(ordered), active=len(active), per_page=per_page)

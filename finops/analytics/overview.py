"""The FinOps overview's numbers: period totals and change, projection, stacked daily series, top lists, shares.

Read from the rollups (equal to cost_data), one query per panel, for all teams or one team. The web page
and ``make demo`` render what :func:`build_overview` returns; nothing here knows about HTML.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from finops import paths
from finops.analytics import report
from finops.analytics.freshness import Freshness, freshness
from finops.analytics.report import UNATTRIBUTED_PROJECT, Period, build_report, pick_table
from finops.analytics.restatements import RestatedDay, restated_days
from finops.money import exact, subtract

if TYPE_CHECKING:
    import psycopg

#: Chart groupings: the overview's and the team page's, with the column each reads.
GROUPINGS = {"team": "team_id", "provider": "provider", "model": "model", "project": "project_id"}
OVERVIEW_GROUPINGS = ("team", "provider", "model")
TEAM_GROUPINGS = ("project", "model", "provider")
SERIES = 6
TOP = 10
CACHED = "cached input"


@dataclass(frozen=True, slots=True)
class Share:
    """One entry of a top list or a split: its key, label, exact amount and share of the total (0..1)."""

    key: str | None
    label: str
    amount: Decimal
    share: Decimal
    team_id: str | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """One stack of the daily chart; ``key`` None with ``other`` true is everything outside the top groups."""

    key: str | None
    label: str
    other: bool
    amounts: list[Decimal]
    total: Decimal


@dataclass
class OverviewData:
    """Everything the overview (or a team page) shows for one period and filter."""

    period: Period
    label: str
    provider: str | None
    team_id: str | None
    group: str
    currency: str
    other_currencies: dict[str, Decimal]
    total: Decimal
    previous: Period
    previous_total: Decimal
    change: Decimal | None
    projection: Decimal | None
    projection_basis: str
    days: list[date]
    daily_totals: list[Decimal]
    series: list[Series]
    top_teams: list[Share]
    teams_count: int
    top_projects: list[Share]
    projects_count: int
    top_models: list[Share]
    models_count: int
    token_kinds: list[Share]
    cached_share: Decimal | None
    batch_share: Decimal | None
    unattributed: Decimal
    unattributed_share: Decimal | None
    restated: list[RestatedDay]
    freshness: Freshness
    provisional: tuple[date, date] | None
    team_names: dict[str, str] = field(default_factory=dict)
    project_names: dict[str, str] = field(default_factory=dict)

    @property
    def restated_dates(self) -> set[date]:
        return {r.usage_date for r in self.restated}


def previous_period(period: Period, month: bool) -> Period:
    """The same days of the previous month for a month; otherwise the equal span just before."""
    if month:
        prev_end_month = period.start - timedelta(days=1)
        first = prev_end_month.replace(day=1)
        span = (period.end - period.start).days
        length = calendar.monthrange(first.year, first.month)[1]
        return Period(first, first + timedelta(days=min(span, length)))
    span = period.end - period.start
    return Period(period.start - span, period.start)


def _share(amount: Decimal, total: Decimal) -> Decimal | None:
    return None if total == 0 else amount / total


def _label(column: str, value: object, names: dict[str, str]) -> str:
    if value is None:
        return "no model (tools, storage, unparsed)" if column == "model" else "none"
    if column == "team_id":
        name = names.get(str(value))
        return f"{name} ({value})" if name and name != value else str(value)
    if column == "project_id" and value == UNATTRIBUTED_PROJECT:
        return "unattributed (no project)"
    if column == "project_id":
        return names.get(f"project:{value}") or str(value)
    return str(value)


def _kind_label(token_kind: str | None, cost_kind: str) -> str:
    return token_kind if token_kind else cost_kind


def build_overview(conn: psycopg.Connection, period: Period, *, today: date, label: str, month: bool,
                   group: str, provider: str | None = None, team_id: str | None = None,
                   lookback: int | None = None, teams: list[str] | None = None) -> OverviewData:
    """The numbers of the page for ``period`` (clipped to ``today``), for all teams, ``team_id``, or the user's
    ``teams`` (None is every team): every figure, list and name is of those teams only."""
    report.prepare_reading(conn)
    names = {t: n for t, n in conn.execute(paths.sql("analytics/team_names")) if teams is None or t in teams}
    labels = {**names, **{f"project:{p}": n for p, n in conn.execute(paths.sql("analytics/project_names"))}}
    scope = {"provider": provider, "team_id": team_id, "teams": teams}
    shown = Period(period.start, min(period.end, today + timedelta(days=1))) if period.start <= today else period
    previous = previous_period(shown, month)

    by_day = build_report(conn, shown, ("usage_date",), **scope)
    by_currency = by_day.totals
    currency = max(by_currency, key=lambda c: by_currency[c]) if by_currency else "usd"
    total = by_currency.get(currency, Decimal(0))
    previous_total = build_report(conn, previous, (), **scope).totals.get(currency, Decimal(0))
    change = None if previous_total == 0 else subtract(total, previous_total) / previous_total  # a ratio: estimate

    days = [shown.start + timedelta(days=i) for i in range((shown.end - shown.start).days)]
    per_day = {r.values[0]: r.amount for r in by_day.rows if r.currency == currency}
    daily_totals = [per_day.get(d, Decimal(0)) for d in days]

    fresh = freshness(conn, today, provider=provider, team_id=team_id, lookback=lookback, teams=teams)
    projection, basis = _projection(period, month, today, days, daily_totals, fresh)

    def top(columns: tuple[str, ...]) -> tuple[list[Share], int]:
        rows = sorted((r for r in build_report(conn, shown, columns, **scope).rows if r.currency == currency),
                      key=lambda r: (-r.amount, str(r.values)))
        items = [Share(key=r.values[-1], label=_label(columns[-1], r.values[-1], labels), amount=r.amount,
                       share=_share(r.amount, total) or Decimal(0),
                       team_id=r.values[0] if columns[0] == "team_id" else None) for r in rows]
        return items, len(items)

    projects, projects_count, top_teams, teams_count, unattributed = _team_project_tops(
        conn, shown, currency, total, labels, max(TOP, SERIES), **scope)
    if team_id is not None:
        top_teams, teams_count = [], 1
    column = GROUPINGS[group]
    if column == "team_id" and team_id is None:
        series = _team_series(conn, shown, top_teams, teams_count, days, daily_totals, currency, provider)
    else:
        series = _series(conn, shown, column, days, currency, labels, **scope)
    models, models_count = top(("model",))

    kinds_rows = [r for r in build_report(conn, shown, ("token_kind", "tier", "cost_kind"), **scope).rows
                  if r.currency == currency]
    kinds: dict[str, Decimal] = {}
    with exact():
        for r in kinds_rows:
            key = _kind_label(r.values[0], r.values[2])
            kinds[key] = kinds.get(key, Decimal(0)) + r.amount
        inputs = sum((r.amount for r in kinds_rows if r.values[0] and ("input" in r.values[0]
                                                                       or r.values[0].startswith("cache"))),
                     Decimal(0))
        cached = sum((r.amount for r in kinds_rows if r.values[0] and r.values[0].endswith(CACHED)), Decimal(0))
        batch = sum((r.amount for r in kinds_rows if r.values[1] == "batch"), Decimal(0))
    token_kinds = [Share(key=k, label=k, amount=v, share=_share(v, total) or Decimal(0))
                   for k, v in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]

    return OverviewData(
        period=shown, label=label, provider=provider, team_id=team_id, group=group, currency=currency,
        other_currencies={c: a for c, a in by_currency.items() if c != currency}, total=total, previous=previous,
        previous_total=previous_total, change=change, projection=projection, projection_basis=basis, days=days,
        daily_totals=daily_totals, series=series, top_teams=top_teams[:TOP], teams_count=teams_count,
        top_projects=projects[:TOP], projects_count=projects_count, top_models=models[:TOP],
        models_count=models_count, token_kinds=token_kinds, cached_share=_share(cached, inputs),
        batch_share=_share(batch, total), unattributed=unattributed, unattributed_share=_share(unattributed, total),
        restated=restated_days(conn, shown.start, shown.end, **scope), freshness=fresh,
        provisional=fresh.provisional_in(shown.start, shown.end), team_names=names,
        project_names={k.removeprefix("project:"): v for k, v in labels.items() if k.startswith("project:")},
    )


def _team_project_tops(conn: psycopg.Connection, period: Period, currency: str, total: Decimal,
                       names: dict[str, str], top: int, *, provider: str | None, team_id: str | None,
                       teams: list[str] | None = None) -> tuple[list[Share], int, list[Share], int, Decimal]:
    """Top projects and teams with their counts, and the unattributed total: one query, a few rows back."""
    from psycopg import sql

    source, extra = report.spend_source(conn, "spend_project_daily", period, ("team_id", "project_id"), team_id,
                                        "AND currency = %(currency)s", teams=teams)
    query = sql.SQL(paths.sql("analytics/team_project_tops")).format(source=source)
    rows = conn.execute(query, {"start": period.start, "end": period.end, "currency": currency,
                                "provider": provider, "team_id": team_id, "teams": teams, "top": top,
                                "unattributed": UNATTRIBUTED_PROJECT, **extra}).fetchall()
    projects, teams = [], []
    projects_count = teams_count = 0
    unattributed = Decimal(0)
    for kind, team, project, amount in rows:
        amount = Decimal(amount)
        if kind == "counts":
            projects_count, teams_count, unattributed = int(team), int(project), amount
        elif kind == "project":
            projects.append(Share(key=project, label=_label("project_id", project, names), amount=amount,
                                  share=_share(amount, total) or Decimal(0), team_id=team))
        else:
            teams.append(Share(key=team, label=_label("team_id", team, names), amount=amount,
                               share=_share(amount, total) or Decimal(0), team_id=team))
    return projects, projects_count, teams, teams_count, unattributed


def _projection(period: Period, month: bool, today: date, days: list[date], daily: list[Decimal],
                fresh: Freshness) -> tuple[Decimal | None, str]:
    """Month-end spend: the month so far plus the settled days' daily rate for the days not settled yet."""
    if not month or not (period.start <= today < period.end):
        return None, ""
    settled = [amount for d, amount in zip(days, daily, strict=True) if not fresh.is_provisional(d)]
    if not settled:
        return None, "no settled day yet this month"
    with exact():
        settled_total = sum(settled, Decimal(0))
    # A projection is an estimate: its division runs in the default context, the sum above does not.
    rate = settled_total / len(settled)
    remaining = (period.end - period.start).days - len(settled)
    projection = settled_total + rate * remaining
    return projection, (f"settled daily rate over {len(settled)} day(s) x {remaining} day(s) not settled or "
                        f"still to come")


def _team_series(conn: psycopg.Connection, period: Period, teams: list[Share], teams_count: int, days: list[date],
                 daily_totals: list[Decimal], currency: str, provider: str | None) -> list[Series]:
    """The chart by team for all teams: the top teams' days read by team, the others' as day total minus them.

    The same stacks as ``chart_series.sql`` (ranked by amount, then id), without aggregating every team's days.
    """
    top = teams[:SERIES]
    rows = conn.execute(paths.sql("analytics/team_days"), {
        "teams": [t.key for t in top], "start": period.start, "end": period.end, "currency": currency,
        "provider": provider}).fetchall()
    index = {d: i for i, d in enumerate(days)}
    amounts = {t.key: [Decimal(0)] * len(days) for t in top}
    for team, day, amount in rows:
        amounts[team][index[day]] = Decimal(amount)
    out = []
    with exact():
        for t in top:
            out.append(Series(key=t.key, label=t.label, other=False, amounts=amounts[t.key],
                              total=sum(amounts[t.key], Decimal(0))))
        if teams_count > SERIES:
            others = [day_total - sum((a[i] for a in amounts.values()), Decimal(0))
                      for i, day_total in enumerate(daily_totals)]
            out.append(Series(key=None, label="all others", other=True, amounts=others, total=sum(others, Decimal(0))))
    return out


def _series(conn: psycopg.Connection, period: Period, column: str, days: list[date], currency: str,
            names: dict[str, str], *, provider: str | None, team_id: str | None,
            teams: list[str] | None = None) -> list[Series]:
    """The top groups' daily amounts (and one "other" stack), biggest first."""
    from psycopg import sql

    table = pick_table((column, "usage_date"), team_id, teams)
    team_filter = ("AND team_id = %(team_id)s" if team_id else "") + (
        " AND team_id = ANY(%(teams)s::text[])" if teams is not None else "")
    query = sql.SQL(paths.sql("analytics/chart_series")).format(
        key=sql.Identifier(column), table=sql.Identifier(report.ROLLUP_SCHEMA, table),
        team_filter=sql.SQL(team_filter))
    rows = conn.execute(query, {"start": period.start, "end": period.end, "currency": currency,
                                "provider": provider, "team_id": team_id, "teams": teams,
                                "series": SERIES}).fetchall()
    index = {d: i for i, d in enumerate(days)}
    stacks: dict[object, Series] = {}
    for rank, key, day, amount in rows:
        if (rank, key) not in stacks:
            stacks[(rank, key)] = Series(key=key, label="all others" if rank is None else _label(column, key, names),
                                         other=rank is None, amounts=[Decimal(0)] * len(days), total=Decimal(0))
        stacks[(rank, key)].amounts[index[day]] = Decimal(amount)
    out = []
    with exact():
        for s in stacks.values():
            out.append(Series(key=s.key, label=s.label, other=s.other, amounts=s.amounts, total=sum(s.amounts,
                                                                                                   Decimal(0))))
    return out

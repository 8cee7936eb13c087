"""The FinOps overview (spend analytics), the team spend page and their CSV: readable under the one read rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from finops import paths
from finops.errors import UsageError
from finops.web.rendering import render
from finops.web.security import NOT_REGISTERED, Access, TeamReaderDep, ViewerDep

analytics_router = APIRouter(tags=["FinOps overview"])

PeriodKind = Literal["month", "30d", "90d", "custom"]
ProviderName = Literal["", "openai", "anthropic"]
PERIODS = {"month": "Month", "30d": "Last 30 days", "90d": "Last 90 days", "custom": "Custom range"}


def get_today() -> date:
    """Today in UTC (a dependency, so tests can pin it)."""
    return datetime.now(UTC).date()


TodayDep = Annotated[date, Depends(get_today)]


Reader = Access
ReaderDep = ViewerDep


@dataclass(frozen=True)
class Filters:
    """The page's query: period, grouping and provider (the team comes from the path)."""

    period: str = "month"
    month: str = ""
    start: str = ""
    end: str = ""
    group: str = ""
    provider: str = ""

    def query(self, **changes: str) -> dict[str, str]:
        """Query parameters for a link that keeps every filter but ``changes``."""
        values = {**self.__dict__, **changes}
        names = {"start": "from", "end": "to"}
        return {names.get(k, k): v for k, v in values.items() if v}


def filters(period: Annotated[PeriodKind, Query()] = "month",
            month: Annotated[str, Query(pattern=r"^(\d{4}-\d{2})?$")] = "",
            start: Annotated[str, Query(alias="from", max_length=10)] = "",
            end: Annotated[str, Query(alias="to", max_length=10)] = "",
            group: Annotated[str, Query(max_length=20)] = "",
            provider: Annotated[ProviderName, Query()] = "") -> Filters:
    return Filters(period=period, month=month, start=start, end=end, group=group, provider=provider)


FiltersDep = Annotated[Filters, Depends(filters)]


def resolve_period(f: Filters, today: date):
    """The period asked for, its label and whether it is a calendar month (UsageError when malformed)."""
    from finops.analytics.report import Period, day_range, month_period

    if f.period == "custom":
        if not (f.start and f.end):
            raise UsageError("A custom range needs both a first and a last day; pick them and press Show.")
        try:
            first, last = date.fromisoformat(f.start), date.fromisoformat(f.end)
        except ValueError:
            raise UsageError("The first and last day must be dates (YYYY-MM-DD); pick them again.") from None
        if last < first:
            raise UsageError(f"The last day ({last}) is before the first ({first}); swap them.")
        period = day_range(f.start, f.end)
        if (period.end - period.start).days > 366:
            raise UsageError("A custom range can span at most 366 days; pick a shorter one.")
        return period, f"{period.start} to {period.last}", False
    if f.period in ("30d", "90d"):
        days = int(f.period[:-1])
        return Period(today - timedelta(days=days - 1), today + timedelta(days=1)), PERIODS[f.period], False
    period = month_period(f.month or today.strftime("%Y-%m"))
    label = f"{period.start:%B %Y}" + (" to date" if period.start <= today < period.end else "")
    return period, label, True


def pct(share: Decimal | None, signed: bool = False) -> str:
    """``0.1234`` -> ``12.3 %`` (``+12.3 %`` when signed); an em dash when there is nothing to compare."""
    if share is None:
        return "—"
    value = (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    sign = "+" if signed and value > 0 else "−" if value < 0 else ""
    return f"{sign}{abs(value)} %"


def _page(request: Request, reader: Reader, f: Filters, today: date, team_id: str | None) -> HTMLResponse:
    from finops.analytics.budget_status import budget_panel
    from finops.analytics.overview import OVERVIEW_GROUPINGS, TEAM_GROUPINGS
    from finops.warehouse.snapshot import snapshot_reads
    from finops.web.charts import stacked_chart
    from finops.web.spend_panels import read_spend_panels

    groupings = TEAM_GROUPINGS if team_id else OVERVIEW_GROUPINGS
    group = f.group if f.group in groupings else groupings[0]
    error = None
    try:
        period, label, month = resolve_period(f, today)
    except UsageError as exc:
        error = str(exc)
        f = Filters(group=group, provider=f.provider)
        period, label, month = resolve_period(f, today)
    teams = None if team_id else reader.team_filter()  # a team's page is already the reader's (require_team)
    with snapshot_reads() as reads:
        if team_id and not reads.conn.execute(paths.sql("analytics/team_exists"), {"team_id": team_id}).fetchone():
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"Team {team_id} is not registered; see the overview.")
        panels = read_spend_panels(reads, period, today=today, label=label, month=month, group=group,
                                   provider=f.provider or None, team_id=team_id, teams=teams)
    data, usage, keys = panels.data, panels.usage, panels.keys
    csv_url = request.url_for("overview_csv").path
    html = render(
        "overview.html", data=data, budget_panel=budget_panel(today, team_id=team_id, teams=teams), chart=stacked_chart(data), filters=f, group=group, groupings=groupings,
        periods=PERIODS, reader=reader, error=error, today=today, pct=pct,
        overview_url=request.url_for("overview").path, manage_url=request.url_for("page").path,
        csv_url=csv_url, usage=usage, unit_chart=unit_cost_chart(usage),
        usage_csv_url=csv_url + "?" + urlencode(f.query(group="model", team=team_id or "", usage="1")),
        team_url=lambda t: request.url_for("team_overview", team_id=t).path,
        static=request.url_for("page").path + "static/", key_panel=keys, keys_csv_url=request.url_for("keys_csv").path,
        key_url=lambda t, p, k: request.url_for("key_page", team_id=t, key_provider=p, api_key_id=k).path,
    )
    return HTMLResponse(html)


def unit_cost_chart(usage):
    """The usage panels' cost per 1M tokens by model, per day, through the one chart code path."""
    from finops.web.charts import line_chart

    averages = [next(m.cost_per_1m for m in usage.models if m.model == s.key) for s in usage.unit_series]
    return line_chart(usage.days, usage.unit_series, usage.currency, "per 1M tokens", averages)


@analytics_router.get("/overview", name="overview", response_class=HTMLResponse)
def overview(request: Request, reader: ReaderDep, f: FiltersDep, today: TodayDep,
             team: Annotated[str, Query(max_length=63)] = "") -> Response:
    """Spend of every team: month to date and change, projection, daily chart, top lists, shares, freshness."""
    if team.strip():
        target = request.url_for("team_overview", team_id=team.strip()).path
        return RedirectResponse(f"{target}?{urlencode(f.query())}" if f.query() else target, status_code=303)
    return _page(request, reader, f, today, None)


@analytics_router.get("/overview/teams/{team_id}", name="team_overview", response_class=HTMLResponse)
def team_overview(request: Request, team_id: str, reader: TeamReaderDep, f: FiltersDep,
                  today: TodayDep) -> HTMLResponse:
    """One team's spend by project and model, with the same panels as the overview."""
    return _page(request, reader, f, today, team_id)


@analytics_router.get("/overview/export.csv", name="overview_csv")
def overview_csv(reader: ReaderDep, f: FiltersDep, today: TodayDep,
                 team: Annotated[str, Query(max_length=63)] = "",
                 usage: Annotated[bool, Query()] = False) -> Response:
    """What the page's chart shows, exact: spend per group and day (CSV columns as ``finops report``).

    ``usage=1`` adds the columns of ``finops report --usage`` after ``amount``: requests, the tokens per kind
    and ``cost_per_1m_tokens``.
    """
    from finops.analytics.overview import GROUPINGS, OVERVIEW_GROUPINGS, TEAM_GROUPINGS
    from finops.analytics.report import build_report, prepare_reading, to_csv
    from finops.warehouse.db import connect

    if team and not reader.sees(team):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_REGISTERED.format(team_id=team))
    groupings = TEAM_GROUPINGS if team else OVERVIEW_GROUPINGS
    group = f.group if f.group in groupings else groupings[0]
    try:
        period, _, _ = resolve_period(f, today)
    except UsageError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    period = type(period)(period.start, min(period.end, today + timedelta(days=1))) if period.start <= today else period
    columns = tuple(c for c in ("team_id", "provider", "project_id", "model", "token_kind", "usage_date")
                    if c in ({GROUPINGS[group], "usage_date"} | ({"team_id"} if team else set())))
    with connect() as conn:
        prepare_reading(conn)
        teams = None if team else reader.team_filter()
        report = build_report(conn, period, columns, provider=f.provider or None, team_id=team or None, teams=teams)
        if usage:
            from finops.usage.report import to_csv as usage_csv
            from finops.usage.report import usage_report

            body = usage_csv(usage_report(conn, report, teams=teams))
        else:
            body = to_csv(report)
    name = f"finops-{'usage' if usage else 'spend'}-{team + '-' if team else ''}{group}-{period.start}-{period.last}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})

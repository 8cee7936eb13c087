"""A key's own page: its daily spend, models, unit costs and when it was last used (docs/attribution.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response

from finops import paths
from finops.errors import UsageError
from finops.web.rendering import render
from finops.web.routes.analytics import Filters, FiltersDep, ReaderDep, TodayDep, resolve_period
from finops.web.security import TeamReaderDep

api_keys_router = APIRouter(tags=["FinOps API keys"])


@api_keys_router.get("/overview/teams/{team_id}/keys/{key_provider}/{api_key_id}", name="key_page",
                     response_class=HTMLResponse)
def key_page(request: Request, team_id: str, key_provider: Literal["openai", "anthropic"], api_key_id: str,
             reader: TeamReaderDep, f: FiltersDep, today: TodayDep) -> HTMLResponse:
    """One API key of a team over the page's period (the month to date by default)."""
    from finops.attribution.panel import key_page as build
    from finops.warehouse.db import connect

    try:
        period, label, _ = resolve_period(f, today)
    except UsageError:
        period, label, _ = resolve_period(Filters(), today)
    with connect() as conn:
        if not conn.execute(paths.sql("analytics/team_exists"), {"team_id": team_id}).fetchone():
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"Team {team_id} is not registered; see the overview.")
        page = build(conn, team_id, key_provider, api_key_id[:200], period.start, period.end)
    return HTMLResponse(render(
        "key.html", page=page, label=label, reader=reader,
        team_url=request.url_for("team_overview", team_id=team_id).path,
        static=request.url_for("page").path + "static/"))


@api_keys_router.get("/overview/keys.csv", name="keys_csv")
def keys_csv(reader: ReaderDep, f: FiltersDep, today: TodayDep,
             team: Annotated[str, Query(max_length=63)] = "") -> Response:
    """Spend per API key of the page's period, exact (the columns of ``finops report --by api_key``)."""
    from finops.attribution.report import build_key_report, to_csv
    from finops.warehouse.db import connect

    try:
        period, _, _ = resolve_period(f, today)
    except UsageError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if team and not reader.sees(team):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Team {team} is not registered; see the overview.")
    with connect() as conn:
        report = build_key_report(conn, period, "api_key", ("team_id", "provider", "project_id"),
                                  provider=f.provider or None, team_id=team or None,
                                  teams=None if team else reader.team_filter())
    name = f"finops-keys-{team + '-' if team else ''}{period.start}-{period.last}.csv"
    return Response(to_csv(report), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})

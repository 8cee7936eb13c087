"""The management pages: the team list (search, sort, 25 a page, add a team) and one page per team."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse

from finops.web import flash as flashes
from finops.web.actions import RegistryDep
from finops.web.charts import stacked_chart
from finops.web.csrf import form_token
from finops.web.overview import PageNumber, QueryText, build_overview
from finops.web.rendering import render
from finops.web.routes.analytics import TodayDep, pct
from finops.web.security import Access, TeamReaderDep, ViewerDep
from finops.web.team_list import SORTS, OrderParam, SortParam, team_list

pages_router = APIRouter(tags=["FinOps page"])

FormState = Callable[..., tuple[str | None, dict[str, str]]]


def _form_state(flash: flashes.Flash | None) -> FormState:
    def form_state(form: str, team_id: str | None = None) -> tuple[str | None, dict[str, str]]:
        """The error and kept inputs for one form, if the last submission was that form's and failed."""
        if flash and flash.kind == "error" and flash.form == form and flash.team_id == team_id:
            return flash.message, flash.values
        return None, {}

    return form_state


def _respond(request: Request, access: Access, cookies: Response, template: str, **context: object) -> HTMLResponse:
    context.setdefault("can_manage_team", access.can_manage)
    html = render(template, user_name=access.name, can_manage=access.can_manage, pct=pct, access=access,
                  csrf_token=form_token(request, cookies, access) if access.changes_anything else "",
                  base=request.url_for("page").path, **context)
    response = HTMLResponse(html)
    response.raw_headers.extend(h for h in cookies.raw_headers if h[0] == b"set-cookie")
    return response


@pages_router.get("/", name="page", response_class=HTMLResponse)
def page(request: Request, access: ViewerDep, today: TodayDep, q: QueryText = "", page_number: PageNumber = 1,
         sort: SortParam = "name", order: OrderParam = "asc") -> HTMLResponse:
    """The team list: one row per team, searched by ``q``, sorted by ``sort``, 25 a page; the add-team form."""
    cookies = Response()
    flash = flashes.pop(request, cookies)
    teams = team_list(today, query=q, sort=sort, order=order, page=page_number, teams=access.teams)
    banner = flash if flash and (flash.kind != "error" or flash.form is None) else None
    return _respond(request, access, cookies, "teams.html", teams=teams, sorts=SORTS, today=today, banner=banner,
                    form_state=_form_state(flash))


@pages_router.get("/teams/{team_id}", name="team_page", response_class=HTMLResponse)
def team_page(request: Request, team_id: str, access: TeamReaderDep, registry: RegistryDep,
              today: TodayDep) -> HTMLResponse:
    """One team's management page: keys, projects and workspaces, budgets, collection history, audit, each a section."""
    cookies = Response()
    flash = flashes.pop(request, cookies)
    overview = build_overview(registry, can_manage=access.can_manage, today=today, team_id=team_id)
    if not overview.teams:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Team {team_id} is not registered; see the team list.")
    banner = flash if flash and (flash.kind != "error" or flash.form is None) else None
    chart_data = team_spend(team_id, today, overview.spend_days)
    return _respond(request, access, cookies, "team.html", overview=overview, team=overview.teams[0], banner=banner,
                    form_state=_form_state(flash), chart_data=chart_data, chart=stacked_chart(chart_data),
                    project_names={p.project_id: p.name for p in overview.teams[0].projects if p.name},
                    spend_url=request.url_for("team_overview", team_id=team_id).path,
                    can_manage_team=access.manages(team_id), **team_showback(team_id))


def team_showback(team_id: str) -> dict[str, object]:
    """The team page's showback sections: its members, its channels, its recent weekly digests and its issued
    statements (every version)."""
    from finops.showback.channels import team_channels
    from finops.showback.delivery import recent_digests
    from finops.showback.downloads import file_names
    from finops.showback.members import ROLES, members
    from finops.showback.statements import statements

    issued = [{**s, "files": file_names(team_id, s["month"], s["version"])} for s in statements(team_id)]
    return {"members": members(team_id), "roles": ROLES, "channels": team_channels(team_id), "statements": issued,
            "digests": recent_digests(team_id)}


def team_spend(team_id: str, today: date, days: int):
    """The team's last ``days`` days by project, as the overview computes them (the chart's data)."""
    from finops.analytics.overview import build_overview as build_spend
    from finops.analytics.report import Period
    from finops.warehouse.db import connect

    period = Period(today - timedelta(days=days - 1), today + timedelta(days=1))
    with connect() as conn:
        return build_spend(conn, period, today=today, label=f"Last {days} days", month=False, group="project",
                           team_id=team_id)

"""The FinOps page: teams, keys, projects, collection status and spend, with forms for managers."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from finops.web import flash as flashes
from finops.web.actions import RegistryDep
from finops.web.csrf import form_token
from finops.web.overview import PageNumber, QueryText, build_overview
from finops.web.rendering import render
from finops.web.routes.analytics import TodayDep
from finops.web.security import ViewerDep

pages_router = APIRouter(tags=["FinOps page"])


@pages_router.get("/", name="page", response_class=HTMLResponse)
def page(request: Request, access: ViewerDep, registry: RegistryDep, today: TodayDep, q: QueryText = "",
         page_number: PageNumber = 1) -> HTMLResponse:
    """The page (one page of teams, filtered by ``q``); forms only for users who may edit connections."""
    cookies = Response()
    flash = flashes.pop(request, cookies)
    # After a form, show the page holding the team it was about (the redirect carries no page number).
    focus = flash.team_id if flash and not q and "page" not in request.query_params else None
    overview = build_overview(registry, can_manage=access.can_manage, today=today, query=q, page=page_number,
                              focus=focus)

    def form_state(form: str, team_id: str | None = None) -> tuple[str | None, dict[str, str]]:
        """The error and kept inputs for one form, if the last submission was that form's and failed."""
        if flash and flash.kind == "error" and flash.form == form and flash.team_id == team_id:
            return flash.message, flash.values
        return None, {}

    banner = flash if flash and (flash.kind != "error" or flash.form is None) else None
    html = render(
        "page.html",
        overview=overview,
        user_name=access.name,
        banner=banner,
        form_state=form_state,
        csrf_token=form_token(request, cookies, access) if access.can_manage else "",
        base=request.url_for("page").path,
    )
    response = HTMLResponse(html)
    response.raw_headers.extend(h for h in cookies.raw_headers if h[0] == b"set-cookie")
    return response

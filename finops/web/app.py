"""The FinOps web app factory: one router per concern, typed errors, strict security headers."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from finops.errors import FinopsError, UsageError

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'self'; base-uri 'none'"
    ),
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


async def _security_headers(request: Request, call_next) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _finops_error(request: Request, exc: Exception) -> JSONResponse:
    """A registry error on a JSON route: its one-sentence message, never a traceback."""
    from finops.registry.errors import TeamNotFound
    from finops.web.flash import scrub

    if isinstance(exc, TeamNotFound):
        code = status.HTTP_404_NOT_FOUND
    elif isinstance(exc, UsageError):
        code = status.HTTP_400_BAD_REQUEST
    elif getattr(exc, "retryable", False):
        code = status.HTTP_503_SERVICE_UNAVAILABLE
    else:
        code = status.HTTP_409_CONFLICT
    return JSONResponse({"detail": scrub(str(exc))}, status_code=code)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """A malformed request, described without echoing its input (it may hold a key)."""
    fields = sorted({".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()})  # type: ignore[attr-defined]
    return JSONResponse({"detail": f"The request is malformed ({', '.join(fields)})."},
                        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def create_app() -> FastAPI:
    """The FinOps app: the page, teams, keys, projects, budgets and showback routers, and the stylesheet."""
    from finops.web.rendering import STATIC_DIR
    from finops.web.routes.analytics import analytics_router
    from finops.web.routes.api_keys import api_keys_router
    from finops.web.routes.budgets import budgets_router
    from finops.web.routes.keys import keys_router
    from finops.web.routes.pages import pages_router
    from finops.web.routes.projects import projects_router
    from finops.web.routes.showback import showback_router
    from finops.web.routes.teams import teams_router
    from finops.web.security import READ_RULE

    app = FastAPI(
        title="FinOps: OpenAI spend and Admin keys",
        description="Teams, their OpenAI Admin keys and project IDs, collection status and spend.",
        docs_url=None,
        redoc_url=None,
    )
    for router in (pages_router, analytics_router, api_keys_router, teams_router, keys_router, projects_router,
                   budgets_router, showback_router):
        app.include_router(router, dependencies=READ_RULE)  # one read rule for every route, written once
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.middleware("http")(_security_headers)
    app.add_exception_handler(FinopsError, _finops_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app

"""Post/redirect/get: the outcome of a form, carried to the next page view in a short-lived signed cookie.

An error keeps the form's other inputs so the user need not type them again; a key is never
among them, and anything that looks like a provider's key is scrubbed from messages and values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from fastapi import Request, Response, status
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from finops.web.csrf import cookie_path, server_secret

COOKIE_NAME = "finops_flash"
MAX_AGE_SECONDS = 300
MAX_VALUE_LENGTH = 300


@dataclass
class Flash:
    """A message for the next page view; ``form`` and ``team_id`` say which form it belongs to."""

    kind: Literal["ok", "error", "warning"]
    message: str
    form: str | None = None
    team_id: str | None = None
    values: dict[str, str] = field(default_factory=dict)


def scrub(text: str) -> str:
    """The text with anything shaped like a provider's key replaced (the project's one scrub, worded for the page)."""
    from finops.redaction import scrub as scrub_keys

    return scrub_keys(text, placeholder="[key removed]")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(server_secret(), salt="finops-flash")


def redirect(request: Request, flash: Flash) -> RedirectResponse:
    """303 to the team's page (or the team list for a team-less form), carrying ``flash``."""
    flash.message = scrub(flash.message)
    flash.values = {k: scrub(v)[:MAX_VALUE_LENGTH] for k, v in flash.values.items()}
    target = request.url_for("page").path
    if flash.team_id:
        target = request.url_for("team_page", team_id=flash.team_id).path
        target += "" if flash.kind == "ok" else f"#form-{flash.form}-{flash.team_id}"
    elif flash.form and flash.kind != "ok":
        target += f"#form-{flash.form}"
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(COOKIE_NAME, _serializer().dumps(asdict(flash)), max_age=MAX_AGE_SECONDS,
                        path=cookie_path(request), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def pop(request: Request, response: Response) -> Flash | None:
    """The pending message, if any; the cookie is cleared on ``response``."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    response.delete_cookie(COOKIE_NAME, path=cookie_path(request))
    try:
        data = _serializer().loads(raw, max_age=MAX_AGE_SECONDS)
        return Flash(**data)
    except (BadSignature, TypeError):
        return None

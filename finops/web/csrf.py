"""CSRF protection for the page's forms: a signed double-submit token plus a strict origin check.

A random per-browser nonce lives in an HttpOnly cookie; each form carries
``HMAC(secret, nonce | user id)``. A cross-site page can neither read the cookie nor compute the
HMAC, and a token minted for one user is worthless for another. Independently, a POST whose
``Sec-Fetch-Site`` is not ``same-origin`` or whose ``Origin`` is not this server's is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, HTTPException, Request, Response, status

from finops.web.security import ADMIN_ONLY, Access, ViewerDep

COOKIE_NAME = "finops_csrf"
FIELD_NAME = "csrf_token"


@cache
def server_secret() -> bytes:
    """A key derived from Airflow's ``[api] secret_key`` (shared by every API server worker)."""
    from airflow.api_fastapi.auth.tokens import get_signing_key

    return hmac.new(get_signing_key("api", "secret_key").encode(), b"finops-web", hashlib.sha256).digest()


def cookie_path(request: Request) -> str:
    """The app's mount path, so the cookies go to the FinOps app only."""
    return request.scope.get("root_path", "").rstrip("/") + "/" or "/"


def nonce(request: Request, response: Response) -> str:
    """The browser's CSRF nonce, created (and set as a cookie) on first use."""
    value = request.cookies.get(COOKIE_NAME)
    if not value or len(value) != 43:
        value = secrets.token_urlsafe(32)
        response.set_cookie(COOKIE_NAME, value, path=cookie_path(request), httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
    return value


def token_for(nonce_value: str, user_id: str) -> str:
    """The form token for a browser nonce and a user."""
    return hmac.new(server_secret(), f"{nonce_value}|{user_id}".encode(), hashlib.sha256).hexdigest()


def _user_id(access: Access) -> str:
    return str(access.user.get_id())


def form_token(request: Request, response: Response, access: Access) -> str:
    """The token to embed in this page's forms."""
    return token_for(nonce(request, response), _user_id(access))


def _allowed_origins(request: Request) -> set[str]:
    from airflow.configuration import conf

    origins = {f"{request.url.scheme}://{request.url.netloc}"}
    base = urlsplit(conf.get("api", "base_url", fallback="") or "")
    if base.scheme and base.netloc:
        origins.add(f"{base.scheme}://{base.netloc}")
    return origins


def check_origin(request: Request) -> None:
    """Refuse a request a browser marks as cross-site, or whose Origin is another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Cross-site form submissions are refused.")
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in _allowed_origins(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Cross-site form submissions are refused.")


def verify_csrf(
    request: Request,
    access: ViewerDep,
    csrf_token: Annotated[str, Form()] = "",
) -> None:
    """Dependency of every POST: the user may change something, the request is same-origin, the token is right
    (the route's own dependency then says whether this change is the user's)."""
    if not access.changes_anything:
        raise HTTPException(status.HTTP_403_FORBIDDEN, ADMIN_ONLY)
    check_origin(request)
    cookie = request.cookies.get(COOKIE_NAME, "")
    expected = token_for(cookie, _user_id(access)) if cookie else ""
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "The form's security token is missing or stale; reload the FinOps page and submit again.",
        )


CsrfDep = Depends(verify_csrf)

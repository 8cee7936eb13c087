"""The simulator's API key lists: OpenAI ``/v1/organization/projects/{project_id}/api_keys`` and Anthropic
``/v1/organizations/api_keys``, in the providers' shapes and pagination (``after`` / ``after_id`` cursors)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from finops.simulator import anthropic_app
from finops.simulator.anthropic_data import DEFAULT_WORKSPACE, scopes
from finops.simulator.api_keys import anthropic_key, openai_key, scope_keys
from finops.simulator.app import ApiError, FaultyOrg, _int, _state

keys_router = APIRouter()


def simulated_today(request: Request) -> date:
    """The simulator's "today" for key lists: ``POST /_simulator/clock`` sets it, else the UTC date."""
    return _state(request).today or datetime.now(UTC).date()


def _after(items: list[dict], after: str | None) -> list[dict]:
    if not after:
        return items
    ids = [i["id"] for i in items]
    return items[ids.index(after) + 1:] if after in ids else []


@keys_router.get("/v1/organization/projects/{project_id}/api_keys")
async def project_api_keys(project_id: str, request: Request, org: FaultyOrg) -> JSONResponse:
    """A project's API keys (deleted ones are gone), ``limit`` at a time after the ``after`` id."""
    if project_id not in {p.id for p in org.projects}:
        raise ApiError(404, f"No project found with id '{project_id[:64]}'.", code="not_found")
    limit = _int(request.query_params, "limit", 20, low=1, high=100)
    today = simulated_today(request)
    keys = [openai_key(org, k, today) for k in scope_keys(org, project_id)
            if k.created_on <= today and (k.deleted_on is None or today < k.deleted_on)]
    rest = _after(keys, request.query_params.get("after"))
    page = rest[:limit]
    return JSONResponse({"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
                         "last_id": page[-1]["id"] if page else None, "has_more": len(rest) > limit})


@keys_router.get("/v1/organizations/api_keys")
async def organization_api_keys(request: Request, org: anthropic_app.FaultyOrg) -> JSONResponse:
    """The organization's API keys (every workspace, deleted ones ``archived``), filters and ``after_id`` paging."""
    query = request.query_params
    limit = anthropic_app._limit(query.get("limit"), 20, 1000)
    today = simulated_today(request)
    keys = [anthropic_key(k, today) for scope in scopes(org)
            for k in scope_keys(org, scope or DEFAULT_WORKSPACE) if k.created_on <= today]
    keys.sort(key=lambda k: k["id"])
    if query.get("workspace_id"):
        keys = [k for k in keys if k["workspace_id"] == query["workspace_id"]]
    if query.get("status"):
        keys = [k for k in keys if k["status"] == query["status"]]
    rest = _after(keys, query.get("after_id"))
    page = rest[:limit]
    return JSONResponse({"data": page, "has_more": len(rest) > limit,
                         "first_id": page[0]["id"] if page else None, "last_id": page[-1]["id"] if page else None})


@keys_router.post("/_simulator/clock")
async def clock(request: Request) -> dict:
    """Set the key lists' "today" (``today=YYYY-MM-DD``; empty: the UTC date), to list a key before its deletion."""
    raw = request.query_params.get("today", "")
    try:
        _state(request).today = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ApiError(400, "Pass `today` as YYYY-MM-DD, or nothing for the real date.", param="today") from None
    return {"today": simulated_today(request).isoformat()}

"""The simulator's Anthropic routes: the organization cost report, the workspace list and the expected totals.

Errors come in Anthropic's shape (``{"type": "error", "error": {"type", "message"}}``); keys go in
``x-api-key`` with an ``anthropic-version`` header; arrays only in the bracket form (``group_by[]``).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from finops.money import exact_sum, plain
from finops.simulator.anthropic_data import (
    CURRENCY,
    cents_text,
    expected_anthropic_costs,
    report_results,
)
from finops.simulator.config import AnthropicOrganization, WorkspaceConfig
from finops.simulator.data import days, unit_hash

GROUP_BY_FIELDS = ("workspace_id", "description")
MAX_LIMIT = 31


class AnthropicError(Exception):
    """An error answered in Anthropic's shape."""

    def __init__(self, status: int, type_: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message
        self.headers = {"request-id": "req_simulated", **(headers or {})}

    def response(self) -> JSONResponse:
        return JSONResponse({"type": "error", "error": {"type": self.type, "message": self.message}},
                            status_code=self.status, headers=self.headers)


def _bad(message: str) -> AnthropicError:
    return AnthropicError(400, "invalid_request_error", message)


def _state(request: Request):
    return request.app.state.simulator


def _key_index(request: Request) -> dict:
    return _state(request).anthropic_keys


def authorized_org(request: Request) -> AnthropicOrganization:
    """The organization of the request's active Admin key; 401, 403 or 400 as Anthropic answers them."""
    key = request.headers.get("x-api-key", "").strip()
    if not key:
        raise AnthropicError(401, "authentication_error", "x-api-key header is required")
    found = _key_index(request).get(key)
    if found is None or found[1] == "revoked":
        raise AnthropicError(401, "authentication_error", "invalid x-api-key")
    org, status = found
    if status == "api_key":
        raise AnthropicError(403, "permission_error",
                             "This endpoint requires an Admin API key (sk-ant-admin...); API keys cannot access it.")
    if not request.headers.get("anthropic-version"):
        raise _bad("anthropic-version: header is required")
    return org


async def faults(request: Request, org: Annotated[AnthropicOrganization, Depends(authorized_org)]
                 ) -> AnthropicOrganization:
    """Added latency, then a deterministic 429, 529 or 5xx for the first attempts of some requests."""
    knobs = org.faults
    if knobs.latency_ms:
        await asyncio.sleep(knobs.latency_ms / 1000)
    if not (knobs.rate_429 or knobs.rate_5xx or knobs.rate_529):
        return org
    fingerprint = f"{org.id}|{request.url.path}|{sorted(request.query_params.multi_items())}"
    attempt = _state(request).next_attempt(fingerprint)
    if attempt >= knobs.max_consecutive_faults:
        return org
    roll = unit_hash(org.seed, fingerprint, attempt, "fault")
    if roll < knobs.rate_429:
        wait = knobs.retry_after_seconds
        raise AnthropicError(429, "rate_limit_error", "Number of requests has exceeded your rate limit.",
                             headers={"retry-after": str(int(wait)) if wait == int(wait) else str(wait)})
    if roll < knobs.rate_429 + knobs.rate_529:
        raise AnthropicError(529, "overloaded_error", "Overloaded")
    if roll < knobs.rate_429 + knobs.rate_529 + knobs.rate_5xx:
        raise AnthropicError(500, "api_error", "Internal server error")
    return org


FaultyOrg = Annotated[AnthropicOrganization, Depends(faults)]


def _rfc3339(value: str | None, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"{name}: invalid RFC 3339 timestamp '{value[:40]}'") from None
    if moment.tzinfo is None:
        raise _bad(f"{name}: the timestamp needs a time zone (for example 'Z')")
    return moment.astimezone(UTC)


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _limit(raw: str | None, default: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(f"limit: expected an integer, got '{raw[:20]}'") from None
    if not 1 <= value <= high:
        raise _bad(f"limit: must be between 1 and {high}, got {value}")
    return value


def _cursor(offset: int, query_hash: str) -> str:
    import base64
    import json

    payload = json.dumps({"o": offset, "q": query_hash}, separators=(",", ":")).encode()
    return "page_" + base64.urlsafe_b64encode(payload).decode()


def _read_cursor(cursor: str, query_hash: str) -> int:
    import base64
    import binascii
    import json

    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.removeprefix("page_").encode()))
        offset = int(payload["o"])
        if payload["q"] != query_hash or offset < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise _bad("page: invalid page token for this query") from None
    return offset


anthropic_router = APIRouter()


@anthropic_router.get("/v1/organizations/cost_report")
async def cost_report(request: Request, org: FaultyOrg) -> JSONResponse:
    """Daily cost buckets in cents, paged by ``limit`` buckets, as ``GET /v1/organizations/cost_report``."""
    query = request.query_params
    if any(k == "group_by" for k, _ in query.multi_items()):
        raise _bad("group_by: arrays are sent as group_by[]=...")
    start = _rfc3339(query.get("starting_at"), "starting_at")
    if start is None:
        raise _bad("starting_at: Field required")
    bucket_width = query.get("bucket_width", "1d")
    if bucket_width != "1d":
        raise _bad(f"bucket_width: only '1d' is supported, got '{bucket_width[:20]}'")
    limit = _limit(query.get("limit"), 7, MAX_LIMIT)
    group_by = query.getlist("group_by[]")
    for field in group_by:
        if field not in GROUP_BY_FIELDS:
            raise _bad(f"group_by[]: '{field[:40]}' is not one of {', '.join(GROUP_BY_FIELDS)}")
    first_day = start.date()
    end = _rfc3339(query.get("ending_at"), "ending_at")
    last_end = end.date() if end is not None else first_day + timedelta(days=limit)
    if last_end <= first_day:
        raise _bad("ending_at: must be after starting_at")
    window = days(first_day, last_end)

    query_hash = hashlib.sha256(str(sorted(i for i in query.multi_items() if i[0] != "page")).encode()).hexdigest()[:16]
    offset = _read_cursor(query["page"], query_hash) if query.get("page") else 0
    page_days = window[offset:offset + limit]
    more = offset + limit < len(window)
    by_description = "description" in group_by
    unknown = org.faults.unknown_fields
    data = []
    for day in page_days:
        results = []
        for r in report_results(org, day, by_workspace="workspace_id" in group_by, by_description=by_description,
                                revision=_state(request).revision(org.id)):
            f = r.fields
            result = {
                "currency": CURRENCY,
                "amount": cents_text(r.amount_cents),
                "workspace_id": r.workspace_id,
                "description": r.description,
                "cost_type": f.cost_type if f else None,
                "context_window": f.context_window if f else None,
                "model": f.model if f else None,
                "service_tier": f.service_tier if f else None,
                "token_type": f.token_type if f else None,
                "inference_geo": f.inference_geo if f else None,
            }
            if unknown:
                result["speed"] = "standard" if f and f.model else None
            results.append(result)
        data.append({"starting_at": _stamp(day), "ending_at": _stamp(day + timedelta(days=1)), "results": results})
    body = {"data": data, "has_more": more, "next_page": _cursor(offset + limit, query_hash) if more else None}
    if unknown:
        body["brand_new_field"] = {"appeared": "without notice"}
    return JSONResponse(body)


def _workspace(w: WorkspaceConfig) -> dict:
    return {"id": w.id, "type": "workspace", "name": w.name, "created_at": w.created_at,
            "archived_at": w.archived_at, "display_color": "#6C5BB9"}


@anthropic_router.get("/v1/organizations/workspaces")
async def list_workspaces(request: Request, org: FaultyOrg) -> JSONResponse:
    """The organization's workspaces (the default one is never listed), ``limit`` at a time after ``after_id``."""
    query = request.query_params
    limit = _limit(query.get("limit"), 20, 1000)
    include_archived = query.get("include_archived", "false").lower() == "true"
    workspaces = [w for w in sorted(org.workspaces, key=lambda w: w.id) if include_archived or not w.archived_at]
    after = query.get("after_id")
    if after:
        ids = [w.id for w in workspaces]
        workspaces = workspaces[ids.index(after) + 1:] if after in ids else []
    page = workspaces[:limit]
    return JSONResponse({
        "data": [_workspace(w) for w in page],
        "first_id": page[0].id if page else None,
        "last_id": page[-1].id if page else None,
        "has_more": len(workspaces) > limit,
    })


@anthropic_router.get("/_simulator/anthropic/expected")
async def expected(request: Request) -> dict:
    """What a collector keeps (per day, workspace, description; dollars) and skips (per workspace) for a window."""
    query = request.query_params
    config = _state(request).config
    org_id = query.get("org_id")
    key = request.headers.get("x-api-key")
    if not org_id and key and key in _key_index(request):
        org_id = _key_index(request)[key][0].id
    if not org_id:
        raise _bad("Pass `org_id` or an x-api-key header with one of the organization's keys.")
    try:
        start, end = date.fromisoformat(query["start_date"]), date.fromisoformat(query["end_date"])
    except (KeyError, ValueError):
        raise _bad("Pass `start_date` and `end_date` as YYYY-MM-DD (the window is [start, end)).") from None
    workspace_ids = query.getlist("workspace_ids[]") or None
    try:
        kept, skipped = expected_anthropic_costs(config, org_id, start, end, workspace_ids,
                                                 revision=_state(request).revision(org_id))
    except KeyError:
        raise AnthropicError(404, "not_found_error", f"No Anthropic organization '{org_id[:64]}'.") from None
    rows = [{"usage_date": k[0].isoformat(), "workspace_id": k[1], "description": k[2], "currency": k[3],
             "amount": str(v)} for k, v in sorted(kept.items())]
    return {"org_id": org_id, "start_date": start.isoformat(), "end_date": end.isoformat(),
            "total": plain(exact_sum(kept.values())), "rows": rows,
            "skipped": [{"workspace_id": w, "amount": str(v)} for w, v in sorted(skipped.items())],
            "skipped_total": plain(exact_sum(skipped.values()))}

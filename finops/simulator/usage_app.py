"""The simulator's usage routes: OpenAI ``/v1/organization/usage/{endpoint}`` and Anthropic's message usage report.

Both follow the providers' shapes: daily buckets paged by ``limit`` (1d: default 7, max 31), ``group_by``
fields per endpoint (anything else is a 400), the filters, and the cost endpoints' errors and faults.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from finops.simulator import anthropic_app
from finops.simulator.app import (
    ApiError,
    FaultyOrg,
    _cursor,
    _int,
    _midnight,
    _read_cursor,
    _state,
    generate,
    multi,
    page_response,
)
from finops.simulator.config import Organization
from finops.simulator.data import days
from finops.simulator.usage_data import (
    ANTHROPIC_GROUP_BY,
    OPENAI_ENDPOINTS,
    anthropic_atoms,
    group_anthropic,
    group_openai,
    openai_atoms,
)

MAX_LIMIT = 31
usage_router = APIRouter()


def openai_usage_buckets(org: Organization, endpoint: str, page_days: list[date], group_by: list[str],
                         filters: tuple, revision: int) -> list[dict]:
    """The buckets of a usage page, as served (a pure function of its arguments: see ``app.generate``)."""
    project_ids, models, api_key_ids, batch = filters
    data = []
    for day in page_days:
        atoms = [a for a in openai_atoms(org, day, endpoint, revision)
                 if (project_ids is None or a.scope in project_ids)
                 and (models is None or a.dims.get("model") in models)
                 and (api_key_ids is None or a.dims.get("api_key_id") in api_key_ids)
                 and (batch is None or str(a.dims.get("batch")).lower() == batch.lower())]
        data.append({"object": "bucket", "start_time": _midnight(day), "end_time": _midnight(day + timedelta(days=1)),
                     "results": group_openai(atoms, endpoint, group_by)})
    return data


def _query_hash(request: Request) -> str:
    items = sorted(i for i in request.query_params.multi_items() if i[0] != "page")
    return hashlib.sha256(f"{request.url.path}|{items}".encode()).hexdigest()[:16]


@usage_router.get("/v1/organization/usage/{endpoint}")
async def openai_usage(endpoint: str, request: Request, org: FaultyOrg) -> Response:
    """Daily usage buckets of one endpoint, as ``GET /v1/organization/usage/{endpoint}``."""
    if endpoint not in OPENAI_ENDPOINTS:
        raise ApiError(404, f"Invalid URL (GET /v1/organization/usage/{endpoint[:40]}).")
    if org.usage.failing:
        raise ApiError(500, "The server had an error while processing your request. Sorry about that!",
                       type_="server_error")
    query = request.query_params
    start_time = _int(query, "start_time")
    if start_time is None:
        raise ApiError(400, "Missing required parameter: 'start_time'.", param="start_time",
                       code="missing_required_parameter")
    bucket_width = query.get("bucket_width", "1d")
    if bucket_width != "1d":
        raise ApiError(400, f"Invalid 'bucket_width': '{bucket_width[:20]}'; the simulator serves only '1d'.",
                       param="bucket_width", code="invalid_value")
    limit = _int(query, "limit", 7, low=1, high=MAX_LIMIT)
    allowed, _ = OPENAI_ENDPOINTS[endpoint]
    group_by = multi(query, "group_by")
    for name in group_by:
        if name not in allowed:
            raise ApiError(400, f"Invalid 'group_by': '{name[:40]}'; expected any of {', '.join(allowed)}.",
                           param="group_by", code="invalid_value")
    project_ids = set(multi(query, "project_ids")) or None
    models = set(multi(query, "models")) or None
    api_key_ids = set(multi(query, "api_key_ids")) or None
    batch = query.get("batch")
    first_day = datetime.fromtimestamp(start_time, UTC).date()
    end_time = _int(query, "end_time") or _midnight(first_day + timedelta(days=limit))
    if end_time <= start_time:
        raise ApiError(400, "Invalid 'end_time': it must be after 'start_time'.", param="end_time",
                       code="invalid_value")
    window = days(first_day, datetime.fromtimestamp(end_time - 1, UTC).date() + timedelta(days=1))
    query_hash = _query_hash(request)
    offset = _read_cursor(query["page"], query_hash) if query.get("page") else 0
    more = offset + limit < len(window)
    data = await generate(request, openai_usage_buckets, org, endpoint, window[offset:offset + limit], group_by,
                          (project_ids, models, api_key_ids, batch), _state(request).revision(org.id))
    return page_response(data, more, _cursor(offset + limit, query_hash) if more else None)


@usage_router.get("/v1/organizations/usage_report/messages")
async def anthropic_usage(request: Request, org: anthropic_app.FaultyOrg) -> JSONResponse:
    """Daily message usage buckets, as ``GET /v1/organizations/usage_report/messages``."""
    bad = anthropic_app._bad
    if org.usage.failing:
        raise anthropic_app.AnthropicError(500, "api_error", "Internal server error")
    query = request.query_params
    if any(k == "group_by" for k, _ in query.multi_items()):
        raise bad("group_by: arrays are sent as group_by[]=...")
    start = anthropic_app._rfc3339(query.get("starting_at"), "starting_at")
    if start is None:
        raise bad("starting_at: Field required")
    if query.get("bucket_width", "1d") != "1d":
        raise bad("bucket_width: the simulator serves only '1d'")
    limit = anthropic_app._limit(query.get("limit"), 7, MAX_LIMIT)
    group_by = query.getlist("group_by[]")
    for name in group_by:
        if name not in ANTHROPIC_GROUP_BY:
            raise bad(f"group_by[]: '{name[:40]}' is not one of {', '.join(ANTHROPIC_GROUP_BY)}")
    filters = {"workspace_id": "workspace_ids[]", "model": "models[]", "api_key_id": "api_key_ids[]",
               "service_tier": "service_tiers[]", "context_window": "context_window[]",
               "inference_geo": "inference_geos[]"}
    wanted = {dim: set(query.getlist(name)) for dim, name in filters.items() if query.getlist(name)}
    first_day = start.date()
    end = anthropic_app._rfc3339(query.get("ending_at"), "ending_at")
    last_end = end.date() if end is not None else first_day + timedelta(days=limit)
    if last_end <= first_day:
        raise bad("ending_at: must be after starting_at")
    window = days(first_day, last_end)
    query_hash = _query_hash(request)
    offset = anthropic_app._read_cursor(query["page"], query_hash) if query.get("page") else 0
    more = offset + limit < len(window)
    data = []
    for day in window[offset:offset + limit]:
        atoms = [a for a in anthropic_atoms(org, day, _state(request).revision(org.id))
                 if all(a.dims.get(dim) in values for dim, values in wanted.items())]
        data.append({"starting_at": anthropic_app._stamp(day), "ending_at": anthropic_app._stamp(day + timedelta(days=1)),
                     "results": group_anthropic(atoms, group_by)})
    return JSONResponse({"data": data, "has_more": more,
                         "next_page": anthropic_app._cursor(offset + limit, query_hash) if more else None})

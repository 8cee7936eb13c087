"""The simulator's FastAPI app: OpenAI's costs and projects endpoints, Anthropic's cost report and
workspaces (:mod:`finops.simulator.anthropic_app`), plus ``/_simulator`` helpers."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException

from finops.money import exact_sum, plain
from finops.simulator.config import Organization, ProjectConfig, SimulatorConfig
from finops.simulator.data import CURRENCY, bucket_results, days, expected_costs, unit_hash

GROUP_BY_FIELDS = ("project_id", "line_item", "api_key_id")


class ApiError(Exception):
    """An error answered in OpenAI's shape: ``{"error": {message, type, param, code}}``."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 type_: str = "invalid_request_error", headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type_
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class SimulatorState:
    """The config, a key index and the per-request attempt counters that drive the faults."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.keys = {k.key: (org, k.status) for org in config.organizations for k in org.keys}
        self.anthropic_keys = {k.key: (org, k.status) for org in config.anthropic_organizations for k in org.keys}
        self.attempts: Counter[str] = Counter()
        #: Organization id -> how many times its scenario's restated day was restated (0: as first served).
        self.revisions: Counter[str] = Counter()
        #: The key lists' "today" (None: the UTC date), set by ``POST /_simulator/clock``.
        self.today: date | None = None
        self.lock = threading.Lock()

    def next_attempt(self, fingerprint: str) -> int:
        """How many times this exact request was seen before (0 the first time)."""
        with self.lock:
            seen = self.attempts[fingerprint]
            self.attempts[fingerprint] += 1
            return seen

    def revision(self, org_id: str) -> int:
        return self.revisions[org_id]

    def restate(self, org_id: str, revision: int | None = None) -> int:
        """Set (or bump) the organization's revision; returns the new one."""
        with self.lock:
            self.revisions[org_id] = self.revisions[org_id] + 1 if revision is None else revision
            return self.revisions[org_id]

    def reset(self) -> None:
        with self.lock:
            self.attempts.clear()


class ExactJSONResponse(JSONResponse):
    """JSON with ``Decimal`` amounts written as exact numbers (floats as Python writes them, as before)."""

    _encoder = msgspec.json.Encoder(decimal_format="number")

    def render(self, content: object) -> bytes:
        return self._encoder.encode(content)


def _amount_text(amount: float | Decimal) -> str:
    """An amount as the string form some live responses use."""
    return repr(amount) if isinstance(amount, float) else format(amount, "f")


def _state(request: Request) -> SimulatorState:
    return request.app.state.simulator


def _redacted(key: str) -> str:
    return f"{key[:8]}****{key[-4:]}" if len(key) > 16 else "****"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authorized_org(request: Request) -> Organization:
    """The organization of the request's active Admin key; 401 or 403 as OpenAI answers them."""
    token = _bearer(request)
    if token is None:
        raise ApiError(401, "You didn't provide an API key. You need to provide your API key in an "
                            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
    found = _state(request).keys.get(token)
    if found is None or found[1] == "revoked":
        raise ApiError(401, f"Incorrect API key provided: {_redacted(token)}. You can find your API key at "
                            "https://platform.openai.com/account/api-keys.", code="invalid_api_key")
    org, status = found
    if status == "no_scope":
        raise ApiError(403, "You have insufficient permissions for this operation. Missing scopes: "
                            "api.usage.read. Check that you have the correct role in your organization.")
    return org


async def faults(request: Request, org: Annotated[Organization, Depends(authorized_org)]) -> Organization:
    """Added latency, then a deterministic 429 or 5xx for the first attempts of some requests."""
    knobs = org.faults
    if knobs.latency_ms:
        await asyncio.sleep(knobs.latency_ms / 1000)
    if not (knobs.rate_429 or knobs.rate_5xx):
        return org
    fingerprint = f"{org.id}|{request.url.path}|{sorted(request.query_params.multi_items())}"
    attempt = _state(request).next_attempt(fingerprint)
    if attempt >= knobs.max_consecutive_faults:
        return org
    roll = unit_hash(org.seed, fingerprint, attempt, "fault")
    if roll < knobs.rate_429:
        wait = knobs.retry_after_seconds
        raise ApiError(429, "Rate limit reached for requests to the organization's administration API. "
                            "Please try again later.", type_="requests", code="rate_limit_exceeded",
                       headers={"Retry-After": str(int(wait)) if wait == int(wait) else str(wait)})
    if roll < knobs.rate_429 + knobs.rate_5xx:
        status = 503 if unit_hash(org.seed, fingerprint, attempt, "status") < 0.5 else 500
        raise ApiError(status, "The server had an error while processing your request. Sorry about that!",
                       type_="server_error")
    return org


FaultyOrg = Annotated[Organization, Depends(faults)]


def multi(query: QueryParams, name: str) -> list[str]:
    """An array parameter in either wire form: ``name[]=a&name[]=b`` or ``name=a&name=b``."""
    return [v for k, v in query.multi_items() if k in (name, f"{name}[]")]


def _int(query: QueryParams, name: str, default: int | None = None, *, low: int | None = None,
         high: int | None = None) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid value for '{name}': expected an integer, got '{raw[:40]}'.", param=name,
                       code="invalid_value") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ApiError(400, f"Invalid '{name}': {value} is out of range; it must be between {low} and {high}.",
                       param=name, code="integer_out_of_range")
    return value


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _cursor(offset: int, query_hash: str) -> str:
    payload = json.dumps({"o": offset, "q": query_hash}, separators=(",", ":")).encode()
    return "page_" + base64.urlsafe_b64encode(payload).decode()


def _read_cursor(cursor: str, query_hash: str) -> int:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.removeprefix("page_").encode()))
        offset = int(payload["o"])
        if payload["q"] != query_hash or offset < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ApiError(400, "Invalid 'page': the cursor does not belong to this query; send the `next_page` "
                            "of the previous page with the rest of the query unchanged.", param="page") from None
    return offset


def costs_buckets(org: Organization, page_days: list[date], project_ids: list[str] | None, group_by: tuple[str, ...],
                  revision: int) -> list[dict]:
    """The buckets of a costs page, as served (a pure function of its arguments: see :func:`generate`)."""
    as_string = org.faults.string_amounts
    data = []
    for day in page_days:
        results = bucket_results(org, day, project_ids, by_project="project_id" in group_by,
                                 by_line_item="line_item" in group_by, by_api_key="api_key_id" in group_by,
                                 revision=revision)
        data.append({
            "object": "bucket",
            "start_time": _midnight(day),
            "end_time": _midnight(day + timedelta(days=1)),
            "results": [{
                "object": "organization.costs.result",
                "amount": {"value": _amount_text(r.amount) if as_string else r.amount, "currency": CURRENCY},
                "line_item": r.line_item,
                "project_id": r.project_id,
                "api_key_id": r.api_key_id,
                "quantity": r.quantity,
                "quantity_unit": r.quantity_unit,
                "organization_id": org.id,
            } for r in results],
        })
    return data


#: In a generator process: the configuration it was started with (see :func:`start_generators`).
_GENERATOR_CONFIG: SimulatorConfig | None = None


def _load_generator_config(config_file: str) -> None:
    from finops.simulator.config import load_config
    from finops.simulator.memo import tune_gc

    global _GENERATOR_CONFIG
    _GENERATOR_CONFIG = load_config(config_file)
    tune_gc()


def _in_generator(fn, org_id: str, exact: bool, *args) -> bytes:
    assert _GENERATOR_CONFIG is not None, "not a generator process"
    return encode_data(fn(_GENERATOR_CONFIG.organization(org_id), *args), exact)


def start_generators(config_file: str, processes: int):
    """Processes that compute pages (:func:`generate`) from ``config_file``, the file the app's config was read from."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_load_generator_config, initargs=(config_file,))


def encode_data(data: object, exact: bool) -> bytes:
    """A page's ``data`` as its response writes it: msgspec with exact decimals (``exact``), else as Starlette's
    JSONResponse does (compact stdlib json)."""
    if exact:
        return ExactJSONResponse._encoder.encode(data)
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


def page_response(data: bytes, more: bool, next_page: str | None) -> Response:
    """``{"object": "page", "data": ..., "has_more": ..., "next_page": ...}`` around encoded ``data``: the bytes
    JSONResponse (or ExactJSONResponse) writes for that dictionary."""
    tail = json.dumps({"has_more": more, "next_page": next_page}, separators=(",", ":")).encode()
    return Response(b'{"object":"page","data":' + data + b"," + tail[1:], media_type="application/json")


class PageCache:
    """Pages already computed, by generator function, organization and arguments (``--cache-pages``: the bench
    serves its timed runs from it, so the stand-in's CPU stays off the machine the pipeline is measured on). Pages
    are pure functions of the frozen configuration and those arguments (see :func:`generate`); once ``max_bytes``
    are held, new pages are computed and not kept."""

    def __init__(self, max_bytes: int = 8 << 30) -> None:
        self.pages: dict[tuple, bytes] = {}
        self.max_bytes = max_bytes
        self.bytes = self.hits = self.misses = 0

    def get(self, key: tuple) -> bytes | None:
        found = self.pages.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: tuple, page: bytes) -> None:
        if self.bytes + len(page) <= self.max_bytes:
            self.pages[key] = page
            self.bytes += len(page)

    def stats(self) -> dict:
        return {"pages": len(self.pages), "bytes": self.bytes, "hits": self.hits, "misses": self.misses}


def _hashable(value: object) -> object:
    if isinstance(value, list | tuple):
        return tuple(map(_hashable, value))
    if isinstance(value, set):
        return frozenset(value)
    return value


async def generate(request: Request, fn, org: Organization, *args, exact: bool = False) -> bytes:
    """``fn(org, *args)`` encoded (:func:`encode_data`): here, or in one of the app's generator processes when it has
    them, or from the app's :class:`PageCache` when it keeps one.

    ``fn`` is a pure function of the (frozen) configuration and its plain-data arguments; the state that requests
    change (fault attempts, revisions, the key lists' clock) stays in this process and is passed in, so every
    process answers alike and a kept page is the page the arguments give. The pages come back encoded: floats and
    decimals exactly as computed.
    """
    cache: PageCache | None = request.app.state.page_cache
    key = (fn.__name__, org.id, exact, _hashable(args)) if cache is not None else ()
    if cache is not None and (page := cache.get(key)) is not None:
        return page
    pool = request.app.state.generators
    if pool is None:
        page = encode_data(fn(org, *args), exact)
    else:
        page = await asyncio.get_running_loop().run_in_executor(pool, _in_generator, fn, org.id, exact, *args)
    if cache is not None:
        cache.put(key, page)
    return page


costs_router = APIRouter()


@costs_router.get("/v1/organization/costs")
async def costs(request: Request, org: FaultyOrg) -> Response:
    """Daily cost buckets, paged by ``limit`` buckets, as ``GET /v1/organization/costs``."""
    query = request.query_params
    start_time = _int(query, "start_time")
    if start_time is None:
        raise ApiError(400, "Missing required parameter: 'start_time'.", param="start_time", code="missing_required_parameter")
    end_time = _int(query, "end_time")
    bucket_width = query.get("bucket_width", "1d")
    if bucket_width != "1d":
        raise ApiError(400, f"Invalid 'bucket_width': '{bucket_width[:20]}'; the costs endpoint supports only '1d'.",
                       param="bucket_width", code="invalid_value")
    limit = _int(query, "limit", 7, low=1, high=180)
    group_by = multi(query, "group_by")
    for field in group_by:
        if field not in GROUP_BY_FIELDS:
            raise ApiError(400, f"Invalid 'group_by': '{field[:40]}'; expected any of {', '.join(GROUP_BY_FIELDS)}.",
                           param="group_by", code="invalid_value")
    project_ids = multi(query, "project_ids") or None
    first_day = datetime.fromtimestamp(start_time, UTC).date()
    if end_time is None:
        end_time = _midnight(first_day + timedelta(days=limit))
    if end_time <= start_time:
        raise ApiError(400, "Invalid 'end_time': it must be after 'start_time'.", param="end_time", code="invalid_value")
    last_day = datetime.fromtimestamp(end_time - 1, UTC).date()
    window = days(first_day, last_day + timedelta(days=1))

    query_hash = hashlib.sha256(str(sorted(i for i in query.multi_items() if i[0] != "page")).encode()).hexdigest()[:16]
    offset = _read_cursor(query["page"], query_hash) if query.get("page") else 0
    page_days = window[offset:offset + limit]
    more = offset + limit < len(window)
    state = _state(request)
    data = await generate(request, costs_buckets, org, page_days, project_ids, tuple(group_by), state.revision(org.id),
                          exact="api_key_id" in group_by)
    return page_response(data, more, _cursor(offset + limit, query_hash) if more else None)


projects_router = APIRouter()


def _project(project: ProjectConfig) -> dict:
    return {"id": project.id, "object": "organization.project", "name": project.name,
            "created_at": project.created_at, "archived_at": project.archived_at, "status": project.status}


@projects_router.get("/v1/organization/projects")
async def list_projects(request: Request, org: FaultyOrg) -> JSONResponse:
    """The organization's projects, ``limit`` at a time after the ``after`` id."""
    query = request.query_params
    limit = _int(query, "limit", 20, low=1, high=100)
    include_archived = query.get("include_archived", "false").lower() == "true"
    projects = [p for p in org.projects if include_archived or p.status == "active"]
    after = query.get("after")
    if after:
        ids = [p.id for p in projects]
        projects = projects[ids.index(after) + 1:] if after in ids else []
    page = projects[:limit]
    return JSONResponse({
        "object": "list",
        "data": [_project(p) for p in page],
        "first_id": page[0].id if page else None,
        "last_id": page[-1].id if page else None,
        "has_more": len(projects) > limit,
    })


@projects_router.get("/v1/organization/projects/{project_id}")
async def get_project(project_id: str, org: FaultyOrg) -> JSONResponse:
    """One project of the organization, archived or not."""
    for project in org.projects:
        if project.id == project_id:
            return JSONResponse(_project(project))
    raise ApiError(404, f"No project found with id '{project_id[:64]}'.", code="not_found")


control_router = APIRouter(prefix="/_simulator")


@control_router.get("/health")
async def health(request: Request) -> dict:
    """Liveness for ``make up`` and the tests."""
    config = _state(request).config
    cache = request.app.state.page_cache
    return {"status": "ok", "organizations": len(config.organizations),
            "anthropic_organizations": len(config.anthropic_organizations),
            **({"page_cache": cache.stats()} if cache is not None else {})}


@control_router.post("/reset")
async def reset(request: Request) -> dict:
    """Forget the attempt counters, so the faults repeat from the start."""
    _state(request).reset()
    return {"status": "ok"}


@control_router.post("/restate")
async def restate(request: Request) -> dict:
    """Restate an organization's scenario day: bump its revision (or set ``revision``), either provider."""
    state = _state(request)
    org_id = request.query_params.get("org_id", "")
    known = {o.id: o for o in [*state.config.organizations, *state.config.anthropic_organizations]}
    if org_id not in known:
        raise ApiError(404, f"No organization '{org_id[:64]}' in the simulator's config; pass `org_id`.", param="org_id")
    scenario = known[org_id].scenario
    if scenario is None or scenario.restated_day is None:
        raise ApiError(400, f"Organization '{org_id}' has no scenario with a `restated_day`; add one to its config.",
                       param="org_id")
    raw = request.query_params.get("revision")
    if raw is not None and not raw.isdigit():
        raise ApiError(400, "Pass `revision` as a whole number (0 serves the day as first served).", param="revision")
    revision = state.restate(org_id, None if raw is None else int(raw))
    return {"org_id": org_id, "revision": revision, "restated_day": scenario.restated_day.isoformat()}


@control_router.get("/expected")
async def expected(request: Request) -> dict:
    """Totals the costs endpoint serves for a window, per (usage_date, project_id, line_item, currency)."""
    query = request.query_params
    state = _state(request)
    org_id = query.get("org_id")
    token = _bearer(request)
    if not org_id and token and token in state.keys:
        org_id = state.keys[token][0].id
    if not org_id:
        raise ApiError(400, "Pass `org_id` or an Authorization header with one of the organization's keys.",
                       param="org_id")
    try:
        start, end = date.fromisoformat(query["start_date"]), date.fromisoformat(query["end_date"])
    except (KeyError, ValueError):
        raise ApiError(400, "Pass `start_date` and `end_date` as YYYY-MM-DD (the window is [start, end)).",
                       param="start_date") from None
    try:
        totals = expected_costs(state.config, org_id, start, end, multi(query, "project_ids") or None,
                                revision=state.revision(org_id))
    except KeyError:
        raise ApiError(404, f"No organization '{org_id[:64]}' in the simulator's config.", param="org_id") from None
    rows = [{"usage_date": k[0].isoformat(), "project_id": k[1], "line_item": k[2], "currency": k[3],
             "amount": str(v)} for k, v in sorted(totals.items())]
    return {"org_id": org_id, "start_date": start.isoformat(), "end_date": end.isoformat(),
            "total": plain(exact_sum(totals.values())), "rows": rows}


def create_app(config: SimulatorConfig, generators=None, *, cache_pages: bool = False) -> FastAPI:
    """Build the simulator app for one configuration; ``generators``: a :func:`start_generators` pool (or None);
    ``cache_pages``: keep the costs and usage pages computed (:class:`PageCache`)."""
    from finops.simulator.anthropic_app import AnthropicError, anthropic_router
    from finops.simulator.keys_app import keys_router
    from finops.simulator.usage_app import usage_router

    app = FastAPI(title="OpenAI and Anthropic admin API simulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.simulator = SimulatorState(config)
    app.state.generators = generators
    app.state.page_cache = PageCache() if cache_pages else None

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(AnthropicError)
    async def _anthropic_error(request: Request, exc: AnthropicError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return ApiError(exc.status_code, f"Invalid URL ({request.method} {request.url.path}).").response()

    for router in (costs_router, projects_router, keys_router, anthropic_router, usage_router, control_router):
        app.include_router(router)
    return app

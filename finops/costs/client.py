"""The Costs API client on the ``openai_api`` connection; the Admin key is passed per call, never kept."""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any
from urllib.parse import urlsplit

import requests

from finops.costs.errors import (
    AdminKeyLacksScope,
    AdminKeyRejected,
    CostsApiBadRequest,
    CostsApiResponseError,
    CostsApiUnavailable,
    OpenAIProjectNotFound,
)
from finops.costs.models import CostRow, Project
from finops.costs.pagination import CursorPaginator
from finops.costs.parsing import describe_body, load_json, parse_costs_page, parse_project, scrub
from finops.errors import ConfigurationError, UsageError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com"
RETRY_STATUSES = frozenset({408, 409, 429})
_RETRY_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_TRUNCATED = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
_USER_AGENT = "finops-airflow/0.1 (+costs-client)"
_PROJECT_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Where and how patiently to call the API; read from the ``openai_api`` connection."""

    base_url: str = DEFAULT_BASE_URL
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_retries: int = 6
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    retry_after_max_seconds: float = 60.0
    max_retry_seconds: float = 300.0

    @classmethod
    def from_connection(cls, conn: Any) -> ClientSettings:
        """Build settings from an Airflow connection: host (a bare host or a full URL) and extra."""
        extra = dict(getattr(conn, "extra_dejson", None) or {})
        fields = {}
        for name, kind in (
            ("connect_timeout", float), ("read_timeout", float), ("max_retries", int),
            ("backoff_base_seconds", float), ("backoff_max_seconds", float),
            ("retry_after_max_seconds", float), ("max_retry_seconds", float),
        ):
            if extra.get(name) not in (None, ""):
                try:
                    fields[name] = kind(extra[name])
                except (TypeError, ValueError):
                    raise ConfigurationError(
                        f"The `openai_api` connection's extra field `{name}` is {extra[name]!r}, not a number; "
                        "fix it in the connection (Admin > Connections) or AIRFLOW_CONN_OPENAI_API."
                    ) from None
                if fields[name] < 0:
                    raise ConfigurationError(
                        f"The `openai_api` connection's extra field `{name}` is negative; set it to 0 or more."
                    )
        return cls(base_url=_base_url(conn), **fields)


def _base_url(conn: Any) -> str:
    host = (getattr(conn, "host", None) or "").strip()
    if not host:
        return DEFAULT_BASE_URL
    if "://" not in host:
        scheme = (getattr(conn, "schema", None) or "").strip() or "https"
        port = getattr(conn, "port", None)
        host = f"{scheme}://{host}{f':{port}' if port else ''}"
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            "The `openai_api` connection's host is not an http(s) URL or host name; set it to "
            "https://api.openai.com (or the simulator's URL)."
        )
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):  # the SDK's base URL includes /v1; the client adds it per endpoint
        path = path[:-3]
    return f"{parts.scheme}://{parts.netloc}{path}"


def _midnight(day: date) -> int:
    return int(datetime.combine(day, dtime(0), tzinfo=UTC).timestamp())


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _check_key(api_key: str) -> str:
    key = (api_key or "").strip()
    if not key or any(ord(c) < 33 or ord(c) > 126 for c in key):
        raise AdminKeyRejected("the stored key is empty or contains spaces or control characters")
    return key


@dataclass(slots=True)
class RequestStats:
    """Requests sent and retries made, for the collection record."""

    requests: int = 0
    retries: int = 0


class CostStream:
    """Cost rows of one window, fetched page by page as they are iterated (iterate once)."""

    def __init__(self, pages: Callable[[CostStream], Iterator[CostRow]]) -> None:
        self._pages = pages
        self._started = False
        self.pages = 0
        self.rows = 0
        self.stats = RequestStats()

    @property
    def requests(self) -> int:
        return self.stats.requests

    @property
    def retries(self) -> int:
        return self.stats.retries

    def __iter__(self) -> Iterator[CostRow]:
        if self._started:
            raise RuntimeError("a CostStream can be iterated only once; call costs() again")
        self._started = True
        for row in self._pages(self):
            self.rows += 1
            yield row

    def __repr__(self) -> str:
        return f"CostStream(pages={self.pages}, rows={self.rows}, requests={self.requests}, retries={self.retries})"


class CostsClient:
    """Calls OpenAI's organization admin endpoints with bounded, jittered retries."""

    def __init__(
        self,
        conn_id: str = "openai_api",
        *,
        settings: ClientSettings | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.conn_id = conn_id
        self._settings = settings
        self._session = session
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter

    def __repr__(self) -> str:
        return f"CostsClient(conn_id={self.conn_id!r})"

    @property
    def settings(self) -> ClientSettings:
        """Settings from the connection, looked up on first use (never at DAG parse time)."""
        if self._settings is None:
            from finops.lookup import get_connection

            self._settings = ClientSettings.from_connection(get_connection(self.conn_id))
        return self._settings

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = requests.Session()
        return self._session

    def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            self._session.close()

    def __enter__(self) -> CostsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- endpoints ---------------------------------------------------------------------------------

    def costs(
        self, api_key: str, start: date, end: date, project_ids: Sequence[str] | None, *, limit: int = 180
    ) -> CostStream:
        """Daily cost rows for the UTC dates ``[start, end)``; ``project_ids=None`` means the whole org.

        An empty ``project_ids`` yields nothing (a team with no registered project has no cost).
        """
        if isinstance(start, datetime) or isinstance(end, datetime):
            raise UsageError("Pass the cost window as dates (UTC days), not datetimes.")
        if end <= start:
            raise UsageError(f"The cost window ends ({end}) on or before it starts ({start}); pass an end after the start.")
        if isinstance(project_ids, str):
            raise UsageError("Pass project IDs as a list, not a single string.")
        key = _check_key(api_key)
        query: list[tuple[str, str]] = [
            ("start_time", str(_midnight(start))),
            ("end_time", str(_midnight(end))),
            ("bucket_width", "1d"),
            ("group_by[]", "project_id"),
            ("group_by[]", "line_item"),
            ("limit", str(limit)),
        ]
        ids = list(dict.fromkeys(project_ids)) if project_ids is not None else None
        query += [("project_ids[]", pid) for pid in ids or ()]

        def pages(stream: CostStream) -> Iterator[CostRow]:
            if ids == []:
                return
            paginator = CursorPaginator()
            while paginator.has_next_page:
                params = query + ([("page", paginator.cursor)] if paginator.cursor else [])
                page_no = paginator.pages + 1
                response = self._get(key, "/v1/organization/costs", params, stats=stream.stats,
                                     what=f"Costs API page {page_no}")
                page = parse_costs_page(response.content, page=page_no, status=response.status_code,
                                        content_type=response.headers.get("Content-Type"))
                del response  # keep one page in memory, not two, while the next one is fetched
                paginator.update(page.has_more, page.next_page)
                stream.pages = paginator.pages
                rows, page = page.rows, None
                yield from rows
                del rows

        return CostStream(pages)

    def projects(self, api_key: str, *, limit: int = 1, include_archived: bool = False) -> list[Project]:
        """The first ``limit`` projects of the key's organization (``limit=1`` is the cheap key check)."""
        key = _check_key(api_key)
        params = [("limit", str(limit))] + ([("include_archived", "true")] if include_archived else [])
        response = self._get(key, "/v1/organization/projects", params, stats=RequestStats(), what="the project list")
        body = self._json(response, what="the project list")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise CostsApiResponseError(
                f"The projects endpoint sent no `data` list ({describe_body(response.text, status=response.status_code, content_type=response.headers.get('Content-Type'))}); "
                "check that the `openai_api` connection points at the OpenAI API."
            )
        return [parse_project(p) for p in data]

    def project(self, api_key: str, project_id: str) -> Project:
        """One project of the key's organization; :class:`OpenAIProjectNotFound` if it is not there."""
        key = _check_key(api_key)
        if not _PROJECT_ID.fullmatch(project_id or ""):
            raise UsageError(f"{project_id!r} is not an OpenAI project ID; project IDs look like proj_abc123.")
        response = self._get(key, f"/v1/organization/projects/{project_id}", [], stats=RequestStats(),
                             what=f"project {project_id}", project_id=project_id)
        return parse_project(self._json(response, what=f"project {project_id}"))

    def verify_key(self, api_key: str) -> None:
        """Raise :class:`AdminKeyRejected` or :class:`AdminKeyLacksScope` unless the key can read the org."""
        self.projects(api_key, limit=1)

    # -- transport ---------------------------------------------------------------------------------

    def _json(self, response: requests.Response, *, what: str) -> Any:
        content_type = response.headers.get("Content-Type")
        return load_json(response.text, what=what, status=response.status_code, content_type=content_type)

    def _get(
        self,
        api_key: str,
        path: str,
        params: list[tuple[str, str]],
        *,
        stats: RequestStats,
        what: str,
        project_id: str | None = None,
    ) -> requests.Response:
        """GET with retries; returns a 200 response or raises the project's exception for the failure."""
        settings = self.settings
        url = settings.base_url + path
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            stats.requests += 1
            failure: str
            status: int | None = None
            truncated = False
            retry_after: float | None = None
            try:
                response = self.session.get(
                    url,
                    params=params,
                    headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json",
                             "User-Agent": _USER_AGENT},
                    timeout=(settings.connect_timeout, settings.read_timeout),
                )
            except _RETRY_EXCEPTIONS as exc:
                truncated = isinstance(exc, _TRUNCATED)
                failure = f"{type(exc).__name__} on {what}" if not truncated else f"a truncated body for {what}"
            else:
                status = response.status_code
                if status < 300:
                    return response
                if status not in RETRY_STATUSES and status < 500:
                    raise self._client_error(response, api_key, what=what, project_id=project_id)
                failure = f"HTTP {status} on {what}"
                retry_after = _retry_after(response.headers.get("Retry-After"))
            elapsed = self._clock() - started
            if retry_after is not None:
                delay = min(retry_after, settings.retry_after_max_seconds)
            else:
                cap = min(settings.backoff_max_seconds, settings.backoff_base_seconds * 2 ** (attempt - 1))
                delay = self._jitter() * cap
            if attempt > settings.max_retries or elapsed + delay > settings.max_retry_seconds:
                if truncated:
                    raise CostsApiResponseError(
                        f"The OpenAI API connection closed before {what} was complete (a truncated body, "
                        f"{attempt} attempts); check for a proxy cutting responses between Airflow and the API."
                    )
                raise CostsApiUnavailable(failure, attempt, elapsed, status=status)
            stats.retries += 1
            log.warning(
                "OpenAI API: %s; retry %d of %d in %.1f s", failure, attempt, settings.max_retries, delay
            )
            self._sleep(delay)

    def _client_error(
        self, response: requests.Response, api_key: str, *, what: str, project_id: str | None
    ) -> Exception:
        status = response.status_code
        error: dict = {}
        try:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                error = body["error"]
        except ValueError:
            pass
        detail = scrub(str(error.get("message") or ""), api_key)[:160].rstrip(". ")
        if status == 401:
            return AdminKeyRejected(detail)
        if status == 403:
            return AdminKeyLacksScope(detail)
        if status == 400:
            param = error.get("param")
            return CostsApiBadRequest(scrub(str(param), api_key) if param else None, detail)
        if status == 404 and project_id is not None:
            return OpenAIProjectNotFound(project_id)
        received = describe_body(response.text, status=status, content_type=response.headers.get("Content-Type"))
        return CostsApiResponseError(
            f"The OpenAI API refused {what} ({scrub(received, api_key)}); check that the `openai_api` "
            "connection's host is the API's base URL (https://api.openai.com).",
            status=status,
        )

"""The machinery every provider's client shares: settings from a connection, GET with retries, typed errors.

A provider's client (:mod:`finops.costs.client` for OpenAI, :mod:`finops.costs.anthropic`) subclasses
:class:`ApiClient` and adds only what differs: its auth headers and its endpoints. The retry policy is
the same for all: 408, 409, 429 and every 5xx (Anthropic's 529 included) are retried with full-jitter
exponential backoff, honouring ``Retry-After`` up to a cap, within a total time budget; every other
status raises the exception a user can act on, without retrying.

No request carries a key to another host: redirects are never left to ``requests`` (which sends custom
headers such as Anthropic's ``x-api-key`` again to any host). A redirect to the connection's own origin
(scheme, host and port) is followed with the same headers; one to any other origin is refused with
:class:`RedirectRefused` before anything is sent there.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import requests

from finops import money, timings
from finops.costs.errors import (
    AdminKeyLacksScope,
    AdminKeyRejected,
    CostsApiBadRequest,
    CostsApiResponseError,
    CostsApiUnavailable,
    IncompleteJsonBody,
    RedirectRefused,
)
from finops.costs.models import CostRow, SkippedCost
from finops.costs.parsing import describe_body, load_json
from finops.errors import ConfigurationError
from finops.providers import PROVIDERS, Provider
from finops.redaction import scrub

log = logging.getLogger("finops.costs.client")

RETRY_STATUSES = frozenset({408, 409, 429})  # and every status >= 500
RETRY_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_TRUNCATED = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
USER_AGENT = "finops-airflow/0.1 (+costs-client)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Same-origin redirects followed per request before giving up (a loop is an error, not a hang).
MAX_REDIRECTS = 5
#: Bytes a response body is read in. ``requests`` reads 10 KB at a time, and each read lets the interpreter lock go:
#: while other threads of the task run Python, getting it back can take the switch interval (5 ms) each time, so a
#: 2.7 MB usage page took seconds instead of 0.1 s (docs/performance.md, section 2, "Reading pages in large chunks").
BODY_CHUNK_BYTES = 1 << 20
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, default ports made explicit: what a redirect must keep to carry the key."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no origin can match it
        return scheme, (parts.hostname or "").lower(), -1
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def shown_origin(url: str) -> str:
    """A redirect target as a user should see it: scheme, host and port, never a path, query or userinfo."""
    scheme, host, port = origin(url)
    default = _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port not in (None, default, -1) else "")


def _kind(path: str) -> str:
    """A request's endpoint kind for the timings: costs, usage, keys or other (never the path's IDs)."""
    if "api_keys" in path:
        return "keys"
    if "usage" in path:
        return "usage"
    if "cost" in path:
        return "costs"
    return "other"


def is_retryable(status: int) -> bool:
    """Whether a status can succeed later: 408, 409, 429 and 5xx (including Anthropic's 529 overloaded)."""
    return status in RETRY_STATUSES or status >= 500


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Where and how patiently to call a provider's API; read from its connection (``openai_api``, ``anthropic_api``)."""

    base_url: str = PROVIDERS["openai"].default_base_url
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_retries: int = 6
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    retry_after_max_seconds: float = 60.0
    max_retry_seconds: float = 300.0

    @classmethod
    def from_connection(cls, conn: Any, *, provider: str = "openai") -> ClientSettings:
        """Build settings from an Airflow connection: host (a bare host or a full URL) and extra."""
        spec = PROVIDERS[provider]
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
                        f"The `{spec.conn_id}` connection's extra field `{name}` is {extra[name]!r}, not a number; "
                        f"fix it in the connection (Admin > Connections) or AIRFLOW_CONN_{spec.conn_id.upper()}."
                    ) from None
                if fields[name] < 0:
                    raise ConfigurationError(
                        f"The `{spec.conn_id}` connection's extra field `{name}` is negative; set it to 0 or more."
                    )
        return cls(base_url=base_url(conn, spec), **fields)


def base_url(conn: Any, spec: Provider) -> str:
    """The API's base URL from a connection's host (a bare host or a URL; empty means the provider's default)."""
    host = (getattr(conn, "host", None) or "").strip()
    if not host:
        return spec.default_base_url
    if "://" not in host:
        scheme = (getattr(conn, "schema", None) or "").strip() or "https"
        port = getattr(conn, "port", None)
        host = f"{scheme}://{host}{f':{port}' if port else ''}"
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"The `{spec.conn_id}` connection's host is not an http(s) URL or host name; set it to "
            f"{spec.default_base_url} (or the simulator's URL)."
        )
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):  # SDK base URLs include /v1; the clients add it per endpoint
        path = path[:-3]
    return f"{parts.scheme}://{parts.netloc}{path}"


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); ``None`` if absent or unreadable."""
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


@dataclass(slots=True)
class RequestStats:
    """Requests sent and retries made, for the collection record."""

    requests: int = 0
    retries: int = 0


class CostStream:
    """Cost rows of one window, fetched page by page as they are iterated (iterate once).

    ``skipped`` holds what the API reported for scopes the team has not registered (Anthropic's cost
    report cannot be filtered by workspace); it is complete once the stream is exhausted.
    """

    def __init__(self, pages: Callable[[CostStream], Iterator[CostRow]]) -> None:
        self._pages = pages
        self._started = False
        self.pages = 0
        self.rows = 0
        self.stats = RequestStats()
        self.skipped: dict[tuple[str, str], SkippedCost] = {}

    @property
    def requests(self) -> int:
        return self.stats.requests

    @property
    def retries(self) -> int:
        return self.stats.retries

    def skip(self, scope_id: str, currency: str, amount: Decimal) -> None:
        """Account one result of an unregistered scope."""
        previous = self.skipped.get((scope_id, currency))
        self.skipped[(scope_id, currency)] = SkippedCost(
            scope_id=scope_id, currency=currency, rows=(previous.rows if previous else 0) + 1,
            amount=money.add(previous.amount if previous else Decimal(0), amount),
        )

    def skipped_costs(self) -> list[SkippedCost]:
        """What was left out, per unregistered scope and currency, largest amount first."""
        return sorted(self.skipped.values(), key=lambda s: (-s.amount, s.scope_id, s.currency))

    def __iter__(self) -> Iterator[CostRow]:
        if self._started:
            raise RuntimeError("a CostStream can be iterated only once; call costs() again")
        self._started = True
        for row in self._pages(self):
            self.rows += 1
            yield row

    def __repr__(self) -> str:
        return (f"CostStream(pages={self.pages}, rows={self.rows}, requests={self.requests}, "
                f"retries={self.retries}, skipped_scopes={len(self.skipped)})")


class ApiClient:
    """One provider's admin API over ``requests``: settings from its connection, bounded jittered retries.

    The key is passed per call and only ever placed in a header; it is never kept on the client.
    """

    provider: ClassVar[str] = "openai"

    def __init__(
        self,
        conn_id: str | None = None,
        *,
        settings: ClientSettings | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.conn_id = conn_id or self.spec.conn_id
        self._settings = settings
        self._session = session
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter

    @property
    def spec(self) -> Provider:
        return PROVIDERS[self.provider]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(conn_id={self.conn_id!r})"

    @property
    def settings(self) -> ClientSettings:
        """Settings from the connection, looked up on first use (never at DAG parse time)."""
        if self._settings is None:
            from finops.lookup import get_connection

            self._settings = ClientSettings.from_connection(get_connection(self.conn_id), provider=self.provider)
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

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what a provider defines -------------------------------------------------------------------

    def headers(self, api_key: str) -> dict[str, str]:
        """The request headers carrying ``api_key`` (OpenAI: a Bearer token; Anthropic: ``x-api-key``)."""
        raise NotImplementedError

    def not_found(self, what: str, scope_id: str | None) -> Exception | None:
        """The error for a 404 about ``scope_id`` (a project or workspace), or ``None`` for the generic one."""
        return None

    # -- shared ------------------------------------------------------------------------------------

    def check_key(self, api_key: str) -> str:
        """The key without surrounding whitespace; a key that cannot go in a header is rejected unsent."""
        key = (api_key or "").strip()
        if not key or any(ord(c) < 33 or ord(c) > 126 for c in key):
            raise AdminKeyRejected("the stored key is empty or contains spaces or control characters",
                                   provider=self.provider)
        return key

    def json(self, response: requests.Response, *, what: str) -> Any:
        """A 200 response's body with exact decimals; an undecodable body names what was received."""
        return load_json(response.text, what=what, status=response.status_code,
                         content_type=response.headers.get("Content-Type"), source=f"The {self.spec.label} API",
                         conn_id=self.conn_id)

    def get(
        self,
        api_key: str,
        path: str,
        params: list[tuple[str, str]],
        *,
        stats: RequestStats,
        what: str,
        scope_id: str | None = None,
        decode: Callable[[requests.Response], Any] | None = None,
    ) -> Any:
        """GET with retries; returns a 2xx response, or what ``decode`` makes of it, or raises the project's
        exception for the failure.

        A JSON body that ``decode`` finds cut short (:class:`IncompleteJsonBody`) is retried like a 5xx.
        """
        settings = self.settings
        url = settings.base_url + path
        headers = self.headers(api_key)
        label = self.spec.label
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            stats.requests += 1
            failure: str
            status: int | None = None
            truncated = False
            cut: IncompleteJsonBody | None = None
            wait: float | None = None
            timings.count(f"requests:{_kind(path)}")
            try:
                with timings.step("fetch"):
                    response = self._send(url, params, headers, what=what)
            except RETRY_EXCEPTIONS as exc:
                truncated = isinstance(exc, _TRUNCATED)
                failure = f"{type(exc).__name__} on {what}" if not truncated else f"a truncated body for {what}"
            else:
                status = response.status_code
                if status < 300 and decode is None:
                    return response
                if status < 300:
                    try:
                        with timings.step("parse"):
                            return decode(response)
                    except IncompleteJsonBody as exc:  # a body cut on the way, like a connection closed mid-body
                        truncated, cut = True, exc
                        failure = f"a truncated body for {what}"
                elif not is_retryable(status):
                    raise self.client_error(response, api_key, what=what, scope_id=scope_id)
                else:
                    failure = f"HTTP {status} on {what}"
                    wait = retry_after(response.headers.get("Retry-After"))
                del response  # not held while waiting
            elapsed = self._clock() - started
            if wait is not None:
                delay = min(wait, settings.retry_after_max_seconds)
            else:
                cap = min(settings.backoff_max_seconds, settings.backoff_base_seconds * 2 ** (attempt - 1))
                delay = self._jitter() * cap
            if attempt > settings.max_retries or elapsed + delay > settings.max_retry_seconds:
                if cut is not None:
                    raise CostsApiResponseError(
                        f"The {label} API sent {what} cut short on all {attempt} attempts ({cut.received}); "
                        "check for a proxy cutting responses between Airflow and the API.",
                        status=status, provider=self.provider,
                    )
                if truncated:
                    raise CostsApiResponseError(
                        f"The {label} API connection closed before {what} was complete (a truncated body, "
                        f"{attempt} attempts); check for a proxy cutting responses between Airflow and the API.",
                        provider=self.provider,
                    )
                raise CostsApiUnavailable(failure, attempt, elapsed, status=status, provider=self.provider)
            stats.retries += 1
            log.warning("%s API: %s; retry %d of %d in %.1f s", label, failure, attempt, settings.max_retries, delay)
            self._sleep(delay)

    def _send(self, url: str, params: list[tuple[str, str]], headers: dict[str, str], *, what: str) -> requests.Response:
        """One GET, following redirects only within the connection's origin; the key never leaves it."""
        settings = self.settings
        home = origin(settings.base_url)
        response = self.session.get(url, params=params, headers=headers, allow_redirects=False, stream=True,
                                    timeout=(settings.connect_timeout, settings.read_timeout))
        for _ in range(MAX_REDIRECTS + 1):
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return read_body(response)
            target = urljoin(response.url or url, location)
            if origin(target) != home:
                raise RedirectRefused(
                    what=what, status=response.status_code, target=shown_origin(target),
                    home=shown_origin(settings.base_url), conn_id=self.conn_id, provider=self.provider,
                )
            response.close()
            response = self.session.get(target, headers=headers, allow_redirects=False, stream=True,
                                        timeout=(settings.connect_timeout, settings.read_timeout))
        raise CostsApiResponseError(
            f"The {self.spec.label} API redirected {what} more than {MAX_REDIRECTS} times within "
            f"{shown_origin(settings.base_url)}; check that the `{self.conn_id}` connection's host is the "
            f"API's base URL ({self.spec.default_base_url}).",
            status=response.status_code, provider=self.provider,
        )

    def client_error(self, response: requests.Response, api_key: str, *, what: str,
                     scope_id: str | None) -> Exception:
        """The exception for a non-retryable status; the API's own message is kept, scrubbed and short."""
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
            return AdminKeyRejected(detail, provider=self.provider)
        if status == 403:
            return AdminKeyLacksScope(detail, provider=self.provider)
        if status == 400:
            param = error.get("param")
            return CostsApiBadRequest(scrub(str(param), api_key) if param else None, detail, provider=self.provider)
        if status == 404:
            specific = self.not_found(what, scope_id)
            if specific is not None:
                return specific
        received = describe_body(response.text, status=status, content_type=response.headers.get("Content-Type"))
        return CostsApiResponseError(
            f"The {self.spec.label} API refused {what} ({scrub(received, api_key)}); check that the "
            f"`{self.conn_id}` connection's host is the API's base URL ({self.spec.default_base_url}).",
            status=status, provider=self.provider,
        )


def read_body(response: requests.Response) -> requests.Response:
    """``response`` with its whole body read, in :data:`BODY_CHUNK_BYTES` reads, as ``requests`` reads it when not
    streaming (the same exceptions for a body cut short; ``response.content`` is then the body, read once)."""
    if response._content is False:  # requests' own "not read yet"; its ``content`` property reads 10 KB at a time
        response._content = b"".join(response.iter_content(BODY_CHUNK_BYTES)) if response.raw is not None else None
    response._content_consumed = True
    response.close()  # the connection goes back to the pool, as after a non-streamed request
    return response

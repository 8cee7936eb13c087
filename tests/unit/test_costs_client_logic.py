"""The client's request, retry and error mapping logic with a scripted session (no network)."""

from __future__ import annotations

import io
import json
import logging
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests

from finops.costs import (
    AdminKeyLacksScope,
    AdminKeyRejected,
    ClientSettings,
    CostsApiBadRequest,
    CostsApiResponseError,
    CostsApiUnavailable,
    CostsClient,
    OpenAIProjectNotFound,
)
from finops.errors import ConfigurationError, UsageError

KEY = "sk-admin-" + "Q" * 20 + "unitTestKey1234567890"


def response(status=200, body=None, *, text=None, headers=None, content_type="application/json"):
    r = requests.Response()
    r.status_code = status
    r._content = (text if text is not None else json.dumps(body if body is not None else {})).encode()
    r.headers.update({"Content-Type": content_type, **(headers or {})})
    r.encoding = "utf-8"
    return r


def costs_page(day_start, *, has_more=False, next_page=None, value=1.5):
    return {"object": "page", "has_more": has_more, "next_page": next_page, "data": [{
        "object": "bucket", "start_time": day_start, "end_time": day_start + 86400,
        "results": [{"amount": {"value": value, "currency": "usd"}, "line_item": "li", "project_id": "proj_a"}],
    }]}


def error(status, message="nope", param=None, headers=None):
    return response(status, {"error": {"message": message, "type": "invalid_request_error", "param": param,
                                       "code": None}}, headers=headers)


class ScriptedSession:
    """Answers each GET with the next scripted response or raises the next scripted exception."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = []

    def get(self, url, params=None, headers=None, timeout=None, allow_redirects=True, stream=False):
        assert allow_redirects is False, "the client must never let requests follow a redirect"
        self.calls.append(SimpleNamespace(url=url, params=list(params or []), headers=headers, timeout=timeout))
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self):
        pass


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def client(*script, **settings):
    clock = FakeClock()
    session = ScriptedSession(*script)
    c = CostsClient(settings=ClientSettings(base_url="http://api.test", **settings), session=session,
                    sleep=clock.sleep, clock=clock, jitter=lambda: 0.5)
    return c, session, clock


JAN1 = 1735689600


def test_query_is_the_contracts_and_pages_follow_with_query_unchanged():
    c, session, _ = client(
        response(200, costs_page(JAN1, has_more=True, next_page="page_2")),
        response(200, costs_page(JAN1 + 86400)),
    )
    stream = c.costs(KEY, date(2025, 1, 1), date(2025, 1, 3), ["proj_a", "proj_b", "proj_a"], limit=1)
    rows = list(stream)
    assert len(rows) == 2 and stream.pages == 2 and stream.requests == 2 and stream.retries == 0 and stream.rows == 2
    first, second = session.calls
    assert first.url == "http://api.test/v1/organization/costs"
    assert first.params == [
        ("start_time", str(JAN1)), ("end_time", str(JAN1 + 2 * 86400)), ("bucket_width", "1d"),
        ("group_by[]", "project_id"), ("group_by[]", "line_item"), ("group_by[]", "api_key_id"), ("limit", "1"),
        ("project_ids[]", "proj_a"), ("project_ids[]", "proj_b"),
    ]
    assert second.params == first.params + [("page", "page_2")]
    assert first.headers["Authorization"] == f"Bearer {KEY}"
    assert first.timeout == (10.0, 60.0)


def test_stream_is_lazy_and_single_use():
    c, session, _ = client(response(200, costs_page(JAN1)))
    stream = c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), None)
    assert session.calls == []
    assert len(list(stream)) == 1
    assert all(k != "project_ids[]" for k, _ in session.calls[0].params)
    with pytest.raises(RuntimeError):
        list(stream)


def test_empty_project_list_makes_no_request():
    c, session, _ = client()
    stream = c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), [])
    assert list(stream) == [] and stream.requests == 0


@pytest.mark.parametrize("start,end", [(date(2025, 1, 2), date(2025, 1, 2)), (date(2025, 1, 3), date(2025, 1, 2))])
def test_empty_or_reversed_window_is_a_usage_error(start, end):
    c, _, _ = client()
    with pytest.raises(UsageError):
        c.costs(KEY, start, end, ["proj_a"])


@pytest.mark.parametrize("bad", ["", "  ", "sk-admin-abc\ndef", "sk-admin-abc def"])
def test_malformed_key_is_rejected_without_echo(bad):
    c, session, _ = client()
    with pytest.raises(AdminKeyRejected) as err:
        c.projects(bad)
    assert session.calls == []
    if bad.strip():
        assert "abc" not in str(err.value)


def test_key_is_stripped_of_surrounding_whitespace():
    c, session, _ = client(response(200, {"object": "list", "data": []}))
    assert c.projects(f"  {KEY}\n") == []
    assert session.calls[0].headers["Authorization"] == f"Bearer {KEY}"


def test_retry_after_is_honoured_and_capped(caplog):
    caplog.set_level(logging.DEBUG)
    c, session, clock = client(
        error(429, headers={"Retry-After": "7"}),
        error(429, headers={"Retry-After": "500"}),
        response(200, costs_page(JAN1)),
        retry_after_max_seconds=60,
    )
    stream = c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), ["proj_a"])
    assert len(list(stream)) == 1
    assert clock.slept == [7.0, 60.0]
    assert stream.requests == 3 and stream.retries == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["OpenAI API: HTTP 429 on Costs API page 1; retry 1 of 6 in 7.0 s",
                        "OpenAI API: HTTP 429 on Costs API page 1; retry 2 of 6 in 60.0 s"]
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_exponential_backoff_with_full_jitter_is_bounded():
    c, _, clock = client(*[error(503) for _ in range(4)], response(200, costs_page(JAN1)),
                         backoff_base_seconds=1, backoff_max_seconds=3)
    list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), ["proj_a"]))
    assert clock.slept == [0.5, 1.0, 1.5, 1.5]  # jitter 0.5 x min(3, 1, 2, 4, 8)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses_give_up_as_unavailable(status):
    c, session, _ = client(*[error(status) for _ in range(4)], max_retries=3)
    with pytest.raises(CostsApiUnavailable) as err:
        list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), ["proj_a"]))
    assert len(session.calls) == 4 and err.value.retryable and err.value.status == status
    assert f"HTTP {status}" in str(err.value) and "4 attempts" in str(err.value)


def test_total_retry_time_is_bounded():
    c, session, clock = client(*[error(429, headers={"Retry-After": "30"}) for _ in range(10)],
                               max_retries=10, max_retry_seconds=70)
    with pytest.raises(CostsApiUnavailable):
        c.projects(KEY)
    assert clock.slept == [30.0, 30.0] and len(session.calls) == 3


@pytest.mark.parametrize("exc", [requests.ConnectionError("refused"), requests.ReadTimeout("slow"),
                                 requests.ConnectTimeout("slow")])
def test_connection_errors_and_timeouts_are_retried(exc):
    c, session, _ = client(exc, response(200, {"object": "list", "data": []}))
    assert c.projects(KEY) == [] and len(session.calls) == 2


def test_connection_errors_exhausted_are_unavailable_and_keyless():
    boom = requests.ConnectionError(f"HTTPConnectionPool: Authorization: Bearer {KEY}")
    c, _, _ = client(boom, boom, boom, max_retries=2)
    with pytest.raises(CostsApiUnavailable) as err:
        c.projects(KEY)
    assert "ConnectionError" in str(err.value) and KEY not in str(err.value)
    assert err.value.__cause__ is None and err.value.__context__ is None


def test_truncated_body_exhausted_is_a_response_error():
    cut = requests.exceptions.ChunkedEncodingError("IncompleteRead(10 bytes read, 90 more expected)")
    c, session, _ = client(cut, cut, max_retries=1)
    with pytest.raises(CostsApiResponseError, match="truncated body"):
        c.projects(KEY)
    assert len(session.calls) == 2


@pytest.mark.parametrize(
    "status,exc,text",
    [
        (401, AdminKeyRejected, "re-register it with `finops keys register TEAM_ID`"),
        (403, AdminKeyLacksScope, "api.usage.read"),
        (400, CostsApiBadRequest, "the parameter `limit`"),
    ],
)
def test_client_errors_are_not_retried_and_map_to_exceptions(status, exc, text):
    echo = f"Incorrect API key provided: {KEY}"
    c, session, _ = client(error(status, echo, param="limit" if status == 400 else None))
    with pytest.raises(exc) as err:
        list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), ["proj_a"]))
    assert len(session.calls) == 1 and text in str(err.value) and not err.value.retryable
    assert KEY not in str(err.value) and KEY not in repr(err.value) and "sk-admin" not in str(err.value)
    assert str(err.value).count(". ") == 0  # one sentence


def test_bad_request_param_is_exposed():
    c, _, _ = client(error(400, "Invalid 'bucket_width'", param="bucket_width"))
    with pytest.raises(CostsApiBadRequest) as err:
        c.projects(KEY)
    assert err.value.param == "bucket_width"


def test_project_not_found():
    c, session, _ = client(error(404, "No project found"))
    with pytest.raises(OpenAIProjectNotFound, match="proj_missing"):
        c.project(KEY, "proj_missing")
    assert session.calls[0].url == "http://api.test/v1/organization/projects/proj_missing"


@pytest.mark.parametrize("bad", ["", "proj_a/../x", "proj a", "proj_a?limit=1"])
def test_malformed_project_id_is_a_usage_error(bad):
    c, session, _ = client()
    with pytest.raises(UsageError):
        c.project(KEY, bad)
    assert session.calls == []


def test_other_client_status_names_what_was_received():
    c, _, _ = client(response(404, text="<html>Not Found</html>", content_type="text/html"))
    with pytest.raises(CostsApiResponseError, match="HTTP 404, content type text/html"):
        list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), None))


def test_verify_key_is_one_cheap_call():
    c, session, _ = client(response(200, {"object": "list", "data": [{"id": "proj_a", "name": "A"}]}))
    c.verify_key(KEY)
    assert session.calls[0].params == [("limit", "1")]


def test_client_repr_and_settings_hold_no_key():
    c, _, _ = client(response(200, costs_page(JAN1)))
    stream = c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), ["proj_a"])
    list(stream)
    assert KEY not in repr(c) and KEY not in repr(stream) and KEY not in repr(vars(c))


def conn(host=None, schema=None, port=None, extra=None):
    return SimpleNamespace(host=host, schema=schema, port=port, extra_dejson=extra or {})


@pytest.mark.parametrize(
    "connection,base_url",
    [
        (conn(), "https://api.openai.com"),
        (conn("http://127.0.0.1:54331"), "http://127.0.0.1:54331"),
        (conn("https://api.openai.com/v1/"), "https://api.openai.com"),
        (conn("proxy.internal", schema="http", port=8080), "http://proxy.internal:8080"),
        (conn("api.openai.com"), "https://api.openai.com"),
    ],
)
def test_base_url_from_connection(connection, base_url):
    assert ClientSettings.from_connection(connection).base_url == base_url


def test_extra_fields_are_read_and_coerced():
    s = ClientSettings.from_connection(conn(extra={"connect_timeout": "3", "read_timeout": 20, "max_retries": "2",
                                                   "backoff_max_seconds": 5, "retry_after_max_seconds": 9,
                                                   "max_retry_seconds": 100, "unrelated": "x"}))
    assert (s.connect_timeout, s.read_timeout, s.max_retries, s.backoff_max_seconds, s.retry_after_max_seconds,
            s.max_retry_seconds) == (3.0, 20.0, 2, 5.0, 9.0, 100.0)


@pytest.mark.parametrize("extra", [{"read_timeout": "soon"}, {"max_retries": -1}])
def test_bad_extra_is_a_configuration_error(extra):
    with pytest.raises(ConfigurationError, match="openai_api"):
        ClientSettings.from_connection(conn(extra=extra))


def test_bad_host_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        ClientSettings.from_connection(conn("ftp://example.com"))


def test_a_costs_page_cut_short_is_fetched_again():
    """A 200 whose JSON stops early (a proxy cut it) is retried like a 5xx, then the page is decoded."""
    whole = json.dumps(costs_page(1735689600))
    c, session, clock = client(response(text=whole[: len(whole) // 2]), response(text=whole))
    rows = list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), ["proj_a"]))
    assert [r.amount for r in rows] == [Decimal("1.5")] and len(session.calls) == 2 and len(clock.slept) == 1


def test_a_page_cut_short_every_time_is_a_truncated_body():
    whole = json.dumps(costs_page(1735689600))
    c, session, _ = client(*[response(text=whole[:40])] * 3, max_retries=2)
    with pytest.raises(CostsApiResponseError, match=r"page 1 cut short on all 3 attempts \(HTTP 200, .*object"):
        list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), ["proj_a"]))
    assert len(session.calls) == 3


@pytest.mark.parametrize("text,content_type", [
    ("<html><title>502 Bad Gateway</title></html>", "text/html"),  # a proxy's page: not JSON at all
    ('{"object": "page", "data": [], "x": NaN}', "application/json"),  # malformed, not cut
])
def test_a_body_that_is_not_json_is_not_retried(text, content_type):
    c, session, _ = client(response(text=text, content_type=content_type))
    with pytest.raises(CostsApiResponseError, match="not valid JSON"):
        list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), ["proj_a"]))
    assert len(session.calls) == 1


class CountingBody(io.BytesIO):
    """A socket's body that records the size of every read the client asks of it."""

    def __init__(self, data):
        super().__init__(data)
        self.asked = []

    def read(self, size=-1):
        self.asked.append(size)
        return super().read(size)

    def readinto(self, buffer):
        self.asked.append(len(buffer))
        return super().readinto(buffer)


def test_a_page_is_read_in_large_chunks_not_requests_10_kb_ones():
    # Each read lets the interpreter lock go; with 10 KB reads a busy task took seconds to receive a usage page.
    from urllib3.response import HTTPResponse

    from finops.costs.http import BODY_CHUNK_BYTES, read_body

    data = b'{"data": [' + b"7," * 1_400_000 + b"7]}"  # 2.8 MB, a usage page's size
    body = CountingBody(data)
    r = requests.Response()
    r.status_code = 200
    r.raw = HTTPResponse(body=body, preload_content=False, headers={"Content-Length": str(len(data))})

    assert read_body(r).content == data
    assert BODY_CHUNK_BYTES >= 1 << 20
    assert max(body.asked) >= BODY_CHUNK_BYTES, body.asked[:5]
    assert len(body.asked) <= len(data) // BODY_CHUNK_BYTES + 3, f"{len(body.asked)} reads for {len(data):,} bytes"
    assert r.content == data  # read once, kept


def test_a_body_cut_short_while_reading_in_chunks_is_still_the_truncation_the_client_retries():
    from urllib3.response import HTTPResponse

    from finops.costs.http import _TRUNCATED, read_body

    data = b'{"data": [1, 2, 3]}'
    r = requests.Response()
    r.status_code = 200
    r.raw = HTTPResponse(body=io.BytesIO(data[:9]), preload_content=False, enforce_content_length=True,
                         headers={"Content-Length": str(len(data))})
    with pytest.raises(_TRUNCATED):
        read_body(r)

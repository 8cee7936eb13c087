"""The Costs API client over HTTP: against the simulator, and against a stub serving broken bodies."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from simulator_fixtures import FAULTY, HEALTHY, OTHER, QUIRKY, TEST_CONNECTION_EXTRA

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


def totals(rows) -> dict:
    """Exact totals per (day, project, line item, currency): the per-key rows of one add up."""
    from finops.money import add

    out: dict = {}
    for row in rows:
        out[row.key[:4]] = add(out.get(row.key[:4], Decimal(0)), row.amount)
    return out


class CountingSession(requests.Session):
    """A real session that counts the requests it sends."""

    def __init__(self):
        super().__init__()
        self.sent = 0

    def send(self, request, **kwargs):
        self.sent += 1
        return super().send(request, **kwargs)


def test_connection_settings_come_from_openai_api(simulator, costs_client):
    settings = costs_client.settings
    assert settings.base_url == simulator.base_url
    assert settings.max_retries == TEST_CONNECTION_EXTRA["max_retries"]
    assert settings.connect_timeout == 5 and settings.read_timeout == 30


def test_multi_page_window_has_exact_totals(simulator, costs_client):
    ids = simulator.project_ids(HEALTHY)
    stream = costs_client.costs(simulator.key(HEALTHY), date(2025, 1, 1), date(2025, 2, 15), ids, limit=7)
    got = totals(stream)
    expected = simulator.expected(HEALTHY, date(2025, 1, 1), date(2025, 2, 15), ids)
    assert got == expected and len(expected) > 100
    assert stream.pages == 7 and stream.requests == 7 and stream.retries == 0
    assert stream.rows > len(expected)  # a row per API key: proj_healthyWeb's keys share a (day, project, line item)


def test_project_filter_is_applied(simulator, costs_client):
    one = simulator.project_ids(HEALTHY)[:1]
    rows = list(costs_client.costs(simulator.key(HEALTHY), date(2025, 3, 1), date(2025, 3, 8), one))
    assert {r.project_id for r in rows} == set(one)
    assert totals(rows) == simulator.expected(HEALTHY, date(2025, 3, 1), date(2025, 3, 8), one)


def test_throttling_and_server_errors_are_survived_with_exact_totals(simulator, costs_client, caplog):
    caplog.set_level(logging.WARNING, logger="finops.costs")
    simulator.reset_faults()
    ids = simulator.project_ids(FAULTY)
    stream = costs_client.costs(simulator.key(FAULTY), date(2025, 1, 1), date(2025, 3, 1), ids, limit=3)
    assert totals(stream) == simulator.expected(FAULTY, date(2025, 1, 1), date(2025, 3, 1), ids)
    assert stream.pages == 20 and stream.retries > 0 and stream.requests == stream.pages + stream.retries
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == stream.retries
    assert any("HTTP 429" in w for w in warnings) and any("HTTP 500" in w or "HTTP 503" in w for w in warnings)
    assert costs_client.slept and all(s <= 0.01 for s in costs_client.slept)


def test_string_amounts_null_projects_and_latency_are_survived(simulator, costs_client):
    ids = simulator.project_ids(QUIRKY)
    stream = costs_client.costs(simulator.key(QUIRKY), date(2025, 1, 1), date(2025, 1, 22), ids, limit=5)
    rows = list(stream)
    assert totals(rows) == simulator.expected(QUIRKY, date(2025, 1, 1), date(2025, 1, 22), ids)
    assert any(r.project_id == "unassigned" for r in rows) and any(r.project_id in ids for r in rows)
    assert all(isinstance(r.amount, Decimal) and r.organization_id == QUIRKY for r in rows)


def test_float_noise_is_exact_end_to_end(simulator, costs_client):
    ids = simulator.project_ids(HEALTHY)
    rows = list(costs_client.costs(simulator.key(HEALTHY), date(2025, 1, 1), date(2025, 1, 4), ids))
    assert any(len(str(r.amount).split(".")[-1]) > 12 for r in rows)


@pytest.mark.parametrize("org", [HEALTHY, QUIRKY])
def test_served_pages_fit_the_contract_to_the_last_digit(simulator, org):
    """The simulator's pages (float noise; string amounts and null projects for QUIRKY) are well formed."""
    import json

    from finops.costs.page_schema import decode_page

    params = {"start_time": "1735689600", "end_time": "1737504000", "bucket_width": "1d", "limit": "31",
              "group_by[]": ["project_id", "line_item", "api_key_id"]}
    response = requests.get(f"{simulator.base_url}/v1/organization/costs", params=params, timeout=10,
                            headers={"Authorization": f"Bearer {simulator.key(org)}"})
    response.raise_for_status()
    page = decode_page(response.content)
    assert len(page.rows) > 20
    body = json.loads(response.text, parse_float=Decimal)
    values = [r["amount"]["value"] for b in body["data"] for r in b["results"]]
    assert [r.amount for r in page.rows] == [Decimal(v) for v in values]
    assert [r.project_id for r in page.rows] == [r["project_id"] or "unassigned" for b in body["data"] for r in b["results"]]
    assert all(isinstance(v, str) for v in values) == (org == QUIRKY)


def client_with_counter(simulator):
    session = CountingSession()
    settings = ClientSettings.from_connection(type("C", (), {"host": simulator.base_url, "schema": None, "port": None,
                                                             "extra_dejson": TEST_CONNECTION_EXTRA})())
    return CostsClient(settings=settings, session=session, sleep=lambda s: None), session


@pytest.mark.parametrize("status,exc", [("revoked", AdminKeyRejected), ("no_scope", AdminKeyLacksScope)])
def test_key_problems_are_one_request_and_the_right_exception(simulator, status, exc):
    client, session = client_with_counter(simulator)
    with pytest.raises(exc) as err:
        list(client.costs(simulator.key(HEALTHY, status), date(2025, 1, 1), date(2025, 1, 2), ["proj_healthyWeb"]))
    assert session.sent == 1 and not err.value.retryable
    assert simulator.key(HEALTHY, status) not in str(err.value)
    with pytest.raises(exc):
        client.verify_key(simulator.key(HEALTHY, status))
    assert session.sent == 2


def test_unknown_key_is_rejected(simulator):
    client, session = client_with_counter(simulator)
    with pytest.raises(AdminKeyRejected, match="finops keys register"):
        client.projects("sk-admin-" + "z" * 40)
    assert session.sent == 1


def test_bad_parameter_is_one_request_naming_the_parameter(simulator):
    client, session = client_with_counter(simulator)
    with pytest.raises(CostsApiBadRequest) as err:
        list(client.costs(simulator.key(HEALTHY), date(2025, 1, 1), date(2025, 1, 2), ["proj_healthyWeb"], limit=500))
    assert session.sent == 1 and err.value.param == "limit" and "`limit`" in str(err.value)


def test_projects_and_project(simulator, costs_client):
    key = simulator.key(HEALTHY)
    assert [p.id for p in costs_client.projects(key)] == simulator.project_ids(HEALTHY)[:1]
    assert [p.id for p in costs_client.projects(key, limit=100)] == simulator.project_ids(HEALTHY)
    project = costs_client.project(key, "proj_healthyBatch")
    assert project.name == "Batch" and project.status == "active" and project.created_at is not None
    with pytest.raises(OpenAIProjectNotFound, match="proj_otherChat"):
        costs_client.project(key, "proj_otherChat")
    assert costs_client.project(simulator.key(OTHER), "proj_otherChat").name == "Chat"
    costs_client.verify_key(key)


def test_the_key_never_reaches_logs_or_errors(simulator, caplog):
    for name in (None, "urllib3", "requests", "finops"):
        caplog.set_level(logging.DEBUG, logger=name)
    client = CostsClient(sleep=lambda s: None)
    messages = []
    simulator.reset_faults()
    for org, status in [(HEALTHY, "active"), (FAULTY, "active"), (QUIRKY, "active"), (HEALTHY, "revoked"),
                        (HEALTHY, "no_scope")]:
        key = simulator.key(org, status)
        try:
            list(client.costs(key, date(2025, 4, 1), date(2025, 4, 20), simulator.project_ids(org), limit=2))
            client.projects(key)
            client.project(key, "proj_nowhere")
        except Exception as exc:  # every failure's text is checked below
            messages += [str(exc), repr(exc)]
    assert any("HTTP 429" in r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text + "\n".join(messages)
    assert len(messages) >= 6
    for keys in simulator.keys.values():
        for key in keys.values():
            assert key not in logged and key[-12:] not in logged
    assert "sk-admin" not in logged and "Bearer" not in logged


# -- broken bodies from a stub server (a proxy in the way, a cut connection) ---------------------------

BODIES = {
    "malformed": (200, "application/json", b'{"object": "page", "data": [{"start_time": 17365'),
    "html": (200, "text/html", b"<html><head><title>Corporate proxy</title></head><body>Access denied</body></html>"),
    "error200": (200, "application/json", b'{"error": {"message": "Internal failure", "type": "server_error"}}'),
    "truncated": (200, "application/json", b'{"object": "page", "data": [], "has_more": fal'),
    "cutoff": (200, "application/json", b'{"object": "page", "data": []'),  # Content-Length promises more
    "badgateway": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    "empty": (200, "application/json", b""),
}


class StubHandler(BaseHTTPRequestHandler):
    """Serves ``BODIES[mode]`` for any path under ``/mode/``."""

    def do_GET(self):
        mode = self.path.split("/")[1]
        status, content_type, body = BODIES[mode]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) + (500 if mode == "cutoff" else 0)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


KEY = "sk-admin-" + "S" * 30 + "stubKeyNeverShown"


def stub_client(stub_url, mode):
    return CostsClient(settings=ClientSettings(base_url=f"{stub_url}/{mode}", max_retries=2), sleep=lambda s: None,
                       jitter=lambda: 0.0)


@pytest.mark.parametrize(
    "mode,received",
    [
        # A JSON document that stops early is fetched again (max_retries=2), then named with what was received.
        ("malformed", ["cut short on all 3 attempts", "HTTP 200", "application/json", '{"object": "page", "data"']),
        ("html", ["not valid JSON", "text/html", "Corporate proxy"]),
        ("error200", ["HTTP 200 but an error object", "server_error", "Internal failure"]),
        ("truncated", ["cut short on all 3 attempts", '"has_more": fal']),
        ("cutoff", ["truncated body"]),
        ("empty", ["cut short on all 3 attempts", "an empty body"]),
    ],
)
def test_bad_bodies_are_clear_errors_never_partial_results(stub_url, mode, received):
    rows = []
    with pytest.raises(CostsApiResponseError) as err:
        for row in stub_client(stub_url, mode).costs(KEY, date(2025, 1, 1), date(2025, 1, 8), ["proj_a"]):
            rows.append(row)
    message = str(err.value)
    assert rows == []
    for text in received:
        assert text in message
    assert KEY not in message and "sk-admin" not in message


def test_proxy_bad_gateway_is_retried_then_unavailable(stub_url):
    with pytest.raises(CostsApiUnavailable, match="HTTP 502 .* 3 attempts") as err:
        stub_client(stub_url, "badgateway").projects(KEY)
    assert err.value.retryable


def test_refused_connection_is_unavailable():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = CostsClient(settings=ClientSettings(base_url=f"http://127.0.0.1:{port}", max_retries=1),
                         sleep=lambda s: None)
    with pytest.raises(CostsApiUnavailable, match="ConnectionError"):
        client.projects(KEY)

"""No API call carries an Admin key to another host: real HTTP servers answer 302 to a second local port.

The "API" server redirects every request to a second server on another port, which records the
headers it receives. For each provider and each endpoint family (costs, the key check, the project or
workspace verification, and any other path through the shared core), the call fails with
:class:`RedirectRefused` naming the other host, and the second server never sees a request at all,
so never ``Authorization`` or ``x-api-key``. A redirect within the connection's own origin is followed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from finops.costs import CostsClient, RedirectRefused
from finops.costs.anthropic import AnthropicClient
from finops.costs.http import ClientSettings, RequestStats

OPENAI_KEY = "sk-admin-" + "R" * 24 + "redirectTestKey0001"
ANTHROPIC_KEY = "sk-ant-admin01-" + "R" * 24 + "redirectTestKey0002"
WORKSPACE = "wrkspc_01RedirectTestWorkspace0"
PROJECT = "proj_RedirectTestProject00000"


class Server:
    """A local HTTP server on a free port; ``answer(handler)`` returns (status, headers, body)."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], tuple[int, dict, bytes]]) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                outer.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
                status, headers, body = answer(self)
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def _json(body: dict) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _valid_answer(handler: BaseHTTPRequestHandler) -> tuple[int, dict, bytes]:
    """What a harvesting host would answer: a well-formed page, so only the redirect rule can stop the call."""
    path = handler.path.split("?")[0]
    if path.endswith("/costs") or path.endswith("/cost_report"):
        return _json({"object": "page", "data": [], "has_more": False, "next_page": None})
    if path.endswith(f"/projects/{PROJECT}"):
        return _json({"object": "organization.project", "id": PROJECT, "name": "p", "status": "active"})
    if path.endswith("/projects"):
        return _json({"object": "list", "data": [], "has_more": False})
    if path.endswith("/workspaces"):
        return _json({"data": [{"id": WORKSPACE, "name": "w", "type": "workspace"}], "has_more": False,
                      "first_id": WORKSPACE, "last_id": WORKSPACE})
    return _json({"object": "list", "data": [], "has_more": False})


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    """The other host: answers like the API would, and records every header it is sent."""
    server = Server(_valid_answer)
    yield server
    server.stop()


@pytest.fixture
def redirecting(elsewhere) -> Iterator[Server]:
    """The connection's host: 302 for every request, to the same path and query on ``elsewhere``."""
    server = Server(lambda h: (302, {"Location": f"{elsewhere.url}{h.path}"}, b""))
    yield server
    server.stop()


def _openai(url: str) -> CostsClient:
    return CostsClient(settings=ClientSettings(base_url=url, max_retries=0))


def _anthropic(url: str) -> AnthropicClient:
    return AnthropicClient(settings=ClientSettings(base_url=url, max_retries=0))


CALLS = {
    "openai costs": (_openai, "openai_api", OPENAI_KEY,
                     lambda c, k: list(c.costs(k, date(2026, 1, 1), date(2026, 1, 3), [PROJECT]))),
    "openai key check (project list)": (_openai, "openai_api", OPENAI_KEY, lambda c, k: c.verify_key(k)),
    "openai project verification": (_openai, "openai_api", OPENAI_KEY, lambda c, k: c.project(k, PROJECT)),
    "openai any other endpoint (usage, api_keys)": (
        _openai, "openai_api", OPENAI_KEY,
        lambda c, k: c.get(k, "/v1/organization/usage/completions", [("limit", "1")], stats=RequestStats(),
                           what="the usage page")),
    "anthropic cost report": (_anthropic, "anthropic_api", ANTHROPIC_KEY,
                              lambda c, k: list(c.costs(k, date(2026, 1, 1), date(2026, 1, 3), [WORKSPACE]))),
    "anthropic key check (workspace list)": (_anthropic, "anthropic_api", ANTHROPIC_KEY,
                                             lambda c, k: c.verify_key(k)),
    "anthropic workspace verification": (_anthropic, "anthropic_api", ANTHROPIC_KEY,
                                         lambda c, k: c.workspace(k, WORKSPACE)),
    "anthropic any other endpoint (usage, api_keys)": (
        _anthropic, "anthropic_api", ANTHROPIC_KEY,
        lambda c, k: c.get(k, "/v1/organizations/api_keys", [("limit", "1")], stats=RequestStats(),
                           what="the API key list")),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_redirect_to_another_port_is_refused_and_the_key_never_reaches_it(name, redirecting, elsewhere):
    make, conn_id, key, call = CALLS[name]
    with make(redirecting.url) as client, pytest.raises(RedirectRefused) as refused:
        call(client, key)
    message = str(refused.value)
    assert f"to another host, http://127.0.0.1:{elsewhere.port} (HTTP 302)" in message
    assert f"Fix the `{conn_id}` connection's host" in message and "the Admin key was not sent there" in message
    assert key not in message and refused.value.status == 302
    assert len(redirecting.requests) == 1, "a refused redirect is not retried"
    sent = redirecting.requests[0]["headers"]
    assert key in (sent.get("authorization", "") + sent.get("x-api-key", ""))  # the real host did get it
    assert elsewhere.requests == [], f"the other host was called: {elsewhere.requests}"


def test_without_the_guard_the_other_host_would_have_received_the_anthropic_key(redirecting, elsewhere):
    """The harm the guard prevents, shown with plain ``requests``: it strips Authorization, not x-api-key."""
    import requests

    requests.get(f"{redirecting.url}/v1/organizations/workspaces", timeout=10,
                 headers={"x-api-key": ANTHROPIC_KEY, "Authorization": f"Bearer {OPENAI_KEY}"})
    received = elsewhere.requests[0]["headers"]
    assert received.get("x-api-key") == ANTHROPIC_KEY and "authorization" not in received


def test_another_host_name_on_the_same_port_is_another_origin(elsewhere):
    """127.0.0.1 and localhost are different hosts to a browser's origin rule, and to this one."""
    server = Server(lambda h: (307, {"Location": f"http://localhost:{server.port}{h.path}"}, b""))
    try:
        with _openai(server.url) as client, pytest.raises(RedirectRefused, match=f"localhost:{server.port}"):
            client.verify_key(OPENAI_KEY)
        assert len(server.requests) == 1
    finally:
        server.stop()


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_redirect_within_the_connections_origin_is_followed_with_the_key(provider):
    """A relative Location on the same host and port (an API moving a path) is followed, headers kept."""

    def answer(h):
        if h.path.startswith("/old"):
            return 301, {"Location": h.path[len("/old"):]}, b""
        return _valid_answer(h)

    server = Server(answer)
    try:
        if provider == "openai":
            client, key, header = _openai(server.url + "/old"), OPENAI_KEY, "authorization"
        else:
            client, key, header = _anthropic(server.url + "/old"), ANTHROPIC_KEY, "x-api-key"
        with client:
            client.verify_key(key)
        assert [r["path"].split("?")[0] for r in server.requests] == [
            "/old/v1/organization" + ("/projects" if provider == "openai" else "s/workspaces"),
            "/v1/organization" + ("/projects" if provider == "openai" else "s/workspaces"),
        ]
        assert all(key in r["headers"].get(header, "") for r in server.requests)
        assert server.requests[1]["path"].endswith("limit=1")
    finally:
        server.stop()


def test_a_redirect_loop_within_the_origin_ends_in_one_sentence():
    server = Server(lambda h: (302, {"Location": h.path}, b""))
    try:
        with _openai(server.url) as client, pytest.raises(Exception, match="redirected the project list more than 5 times"):
            client.verify_key(OPENAI_KEY)
    finally:
        server.stop()

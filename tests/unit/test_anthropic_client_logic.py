"""The Anthropic client's requests, paging, filtering, retries and errors with a scripted session (no network)."""

from __future__ import annotations

import json
import logging
from datetime import date
from decimal import Decimal

import pytest
from test_costs_client_logic import FakeClock, ScriptedSession, response

from finops.costs import (
    AdminKeyLacksScope,
    AdminKeyRejected,
    AnthropicWorkspaceNotFound,
    ClientSettings,
    CostsApiBadRequest,
    CostsApiUnavailable,
    PaginationError,
)
from finops.costs.anthropic import AnthropicClient
from finops.errors import UsageError

KEY = "sk-ant-admin01-" + "Z" * 30 + "unitTestKey0987654321AA"
W1, W2, OTHER = "wrkspc_one", "wrkspc_two", "wrkspc_notours"


def client(*script, **settings):
    clock = FakeClock()
    session = ScriptedSession(*script)
    c = AnthropicClient(settings=ClientSettings(base_url="http://api.test", **settings), session=session,
                        sleep=clock.sleep, clock=clock, jitter=lambda: 0.5)
    return c, session, clock


def res(workspace, amount, description="Claude Sonnet 4 Usage - Input Tokens"):
    return {"currency": "USD", "amount": amount, "workspace_id": workspace, "description": description,
            "cost_type": "tokens", "model": "claude-sonnet-4-20250514", "token_type": "uncached_input_tokens"}


def report(day, *results, has_more=False, next_page=None):
    return {"data": [{"starting_at": f"{day}T00:00:00Z", "results": list(results)}], "has_more": has_more,
            "next_page": next_page}


def error(status, type_, message="nope", headers=None):
    return response(status, {"type": "error", "error": {"type": type_, "message": message}}, headers=headers)


def test_query_headers_and_paging_follow_the_contract():
    c, session, _ = client(
        response(200, report("2025-01-01", res(W1, "150.5"), has_more=True, next_page="page_2")),
        response(200, report("2025-01-02", res(None, "7"))),
    )
    stream = c.costs(KEY, date(2025, 1, 1), date(2025, 1, 3), [W1, "default"])
    rows = list(stream)
    assert [(r.project_id, r.amount) for r in rows] == [(W1, Decimal("1.505")), ("default", Decimal("0.07"))]
    first, second = session.calls
    assert first.url == "http://api.test/v1/organizations/cost_report"
    assert first.params == [
        ("starting_at", "2025-01-01T00:00:00Z"), ("ending_at", "2025-01-03T00:00:00Z"), ("bucket_width", "1d"),
        ("group_by[]", "workspace_id"), ("group_by[]", "description"), ("limit", "31"),
    ]
    assert second.params == first.params + [("page", "page_2")]
    assert first.headers["x-api-key"] == KEY and first.headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in first.headers and first.headers["User-Agent"].startswith("finops-airflow")
    assert stream.pages == 2 and stream.requests == 2 and stream.skipped == {}


def test_unregistered_workspaces_are_left_out_and_accounted():
    c, _, _ = client(response(200, {"data": [
        {"starting_at": "2025-01-01T00:00:00Z", "results": [res(W1, "100"), res(OTHER, "0.5"), res(None, "3"),
                                                             res(OTHER, "1.25", "Web Search Usage")]},
        {"starting_at": "2025-01-02T00:00:00Z", "results": [res(W2, "9.999"), res(OTHER, "200")]},
    ], "has_more": False, "next_page": None}))
    stream = c.costs(KEY, date(2025, 1, 1), date(2025, 1, 3), [W1, W2])
    rows = list(stream)
    assert [(r.project_id, r.amount) for r in rows] == [(W1, Decimal("1.00")), (W2, Decimal("0.09999"))]
    skipped = stream.skipped_costs()
    assert [(s.scope_id, s.currency, s.rows, s.amount) for s in skipped] == [
        (OTHER, "usd", 3, Decimal("2.0175")), ("default", "usd", 1, Decimal("0.03"))]
    assert "skipped_scopes=2" in repr(stream)


def test_no_workspace_filter_keeps_everything_and_an_empty_one_sends_nothing():
    c, session, _ = client(response(200, report("2025-01-01", res(W1, "1"), res(OTHER, "2"))))
    assert len(list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), None))) == 2
    stream = c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), [])
    assert list(stream) == [] and stream.requests == 0 and len(session.calls) == 1


@pytest.mark.parametrize("kwargs,message", [
    ({"workspace_ids": "wrkspc_one"}, "as a list"),
    ({"workspace_ids": ["proj_abc"]}, "wrkspc_"),
    ({"limit": 32}, "1 to 31"),
    ({"end": date(2025, 1, 1)}, "on or before it starts"),
])
def test_bad_arguments_are_usage_errors_before_any_request(kwargs, message):
    c, session, _ = client()
    args = {"workspace_ids": [W1], "end": date(2025, 1, 2), **kwargs}
    with pytest.raises(UsageError, match=message):
        c.costs(KEY, date(2025, 1, 1), args["end"], args["workspace_ids"], limit=kwargs.get("limit", 31))
    assert session.calls == []


def test_repeated_cursor_is_an_error_not_a_loop():
    c, _, _ = client(response(200, report("2025-01-01", has_more=True, next_page="page_x")),
                     response(200, report("2025-01-02", has_more=True, next_page="page_x")))
    with pytest.raises(PaginationError, match="Anthropic cost report sent page 2 the same `next_page`"):
        list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 3), [W1]))


def test_overloaded_and_rate_limited_are_retried_honouring_retry_after(caplog):
    caplog.set_level(logging.WARNING)
    c, session, clock = client(
        error(529, "overloaded_error", "Overloaded"),
        error(429, "rate_limit_error", headers={"retry-after": "4"}),
        error(500, "api_error"),
        response(200, report("2025-01-01", res(W1, "1"))),
    )
    stream = c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), [W1])
    assert len(list(stream)) == 1 and stream.requests == 4 and stream.retries == 3
    assert clock.slept == [0.5, 4.0, 2.0]  # jitter 0.5 x 1; retry-after 4; jitter 0.5 x 4
    assert [r.getMessage() for r in caplog.records][:2] == [
        "Anthropic API: HTTP 529 on cost report page 1; retry 1 of 6 in 0.5 s",
        "Anthropic API: HTTP 429 on cost report page 1; retry 2 of 6 in 4.0 s"]
    assert all(KEY not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 503, 529])
def test_retryable_statuses_give_up_as_unavailable_naming_anthropic(status):
    c, session, _ = client(*[error(status, "x") for _ in range(3)], max_retries=2)
    with pytest.raises(CostsApiUnavailable) as err:
        list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), [W1]))
    message = str(err.value)
    assert len(session.calls) == 3 and err.value.retryable and err.value.provider == "anthropic"
    assert "Anthropic API is unavailable" in message and "status.anthropic.com" in message
    assert "`anthropic_api` connection" in message


@pytest.mark.parametrize("status,type_,exc,text", [
    (401, "authentication_error", AdminKeyRejected, "`finops keys register TEAM_ID --provider anthropic`"),
    (403, "permission_error", AdminKeyLacksScope, "Settings > Admin keys in the Anthropic Console"),
    (400, "invalid_request_error", CostsApiBadRequest, "The Anthropic API rejected the request"),
])
def test_client_errors_are_typed_keyless_single_sentences(status, type_, exc, text):
    c, session, _ = client(error(status, type_, f"invalid x-api-key {KEY}"))
    with pytest.raises(exc) as err:
        list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), [W1]))
    message = str(err.value)
    assert len(session.calls) == 1 and text in message and not err.value.retryable
    assert KEY not in message and "unitTestKey" not in message and message.count(". ") == 0


def test_verify_key_is_one_cheap_workspace_call():
    c, session, _ = client(response(200, {"data": [], "has_more": False, "first_id": None, "last_id": None}))
    c.verify_key(KEY)
    assert session.calls[0].url == "http://api.test/v1/organizations/workspaces"
    assert session.calls[0].params == [("limit", "1")]


def ws_page(*ids, has_more=False):
    return response(200, {"data": [{"id": i, "type": "workspace", "name": i.upper(), "archived_at": None}
                                   for i in ids], "has_more": has_more, "first_id": ids[0] if ids else None,
                          "last_id": ids[-1] if ids else None})


def test_workspace_lookup_pages_through_the_list_with_archived_ones():
    c, session, _ = client(ws_page("wrkspc_a", "wrkspc_b", has_more=True), ws_page("wrkspc_c", W1))
    workspace = c.workspace(KEY, W1)
    assert workspace.id == W1 and workspace.name == W1.upper()
    assert session.calls[0].params == [("limit", "1000"), ("include_archived", "true")]
    assert session.calls[1].params == [("limit", "1000"), ("include_archived", "true"), ("after_id", "wrkspc_b")]


def test_unknown_workspace_is_not_found_and_default_only_checks_the_key():
    c, _, _ = client(ws_page("wrkspc_a"))
    with pytest.raises(AnthropicWorkspaceNotFound, match="wrkspc_missing"):
        c.workspace(KEY, "wrkspc_missing")
    c, session, _ = client(ws_page())
    assert c.workspace(KEY, "default").name == "Default workspace" and len(session.calls) == 1


def test_workspace_list_cursor_loop_is_detected():
    c, _, _ = client(ws_page("wrkspc_a", has_more=True), ws_page("wrkspc_a", has_more=True))
    with pytest.raises(PaginationError, match="same `last_id` cursor"):
        c.workspace(KEY, W1)


def test_settings_come_from_anthropic_api_with_its_default_host():
    from types import SimpleNamespace

    empty = SimpleNamespace(host=None, schema=None, port=None, extra_dejson={"max_retries": "3"})
    settings = ClientSettings.from_connection(empty, provider="anthropic")
    assert settings.base_url == "https://api.anthropic.com" and settings.max_retries == 3
    from finops.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="`anthropic_api` connection's extra field `read_timeout`"):
        ClientSettings.from_connection(SimpleNamespace(host=None, extra_dejson={"read_timeout": "x"}),
                                       provider="anthropic")
    assert AnthropicClient().conn_id == "anthropic_api" and KEY not in repr(AnthropicClient())


def test_request_body_is_never_json_encoded_with_the_key():
    c, session, _ = client(response(200, report("2025-01-01")))
    list(c.costs(KEY, date(2025, 1, 1), date(2025, 1, 2), [W1]))
    assert KEY not in json.dumps(session.calls[0].params)

"""The usage fetch on the costs' client core with a scripted session (the HTTP boundary): queries per endpoint,
pagination with loop detection, retries counted with the costs', contract errors named, the key never shown."""

from __future__ import annotations

from datetime import date

import pytest
from test_costs_client_logic import KEY, ScriptedSession, error, response

from finops.costs import ClientSettings, CostsApiResponseError, CostsClient
from finops.costs.anthropic import AnthropicClient
from finops.costs.errors import PaginationError
from finops.costs.http import RequestStats
from finops.usage.client import anthropic_usage, openai_usage

NOV1 = 1730419200
SETTINGS = ClientSettings(base_url="https://api.example", max_retries=3, backoff_base_seconds=0)


def page(results, *, has_more=False, next_page=None, start=NOV1):
    return {"object": "page", "has_more": has_more, "next_page": next_page,
            "data": [{"object": "bucket", "start_time": start, "end_time": start + 86400, "results": results}]}


def client(*script, cls=CostsClient):
    return cls(settings=SETTINGS, session=ScriptedSession(*script), sleep=lambda s: None)


def test_each_endpoint_is_queried_with_its_groupings_and_the_team_projects_and_pages_are_followed():
    c = client(response(body=page([{"input_tokens": 10, "input_cached_tokens": 4, "output_tokens": 1,
                                    "num_model_requests": 1, "project_id": "proj_a", "model": "gpt-4o"}],
                                   has_more=True, next_page="page_2")),
               error(503),
               response(body=page([{"input_tokens": 5, "output_tokens": 0, "num_model_requests": 1}],
                                  start=NOV1 + 86400)),
               response(body=page([{"usage_bytes": 7, "project_id": "proj_a"}])))
    stats = RequestStats(requests=3)
    fetch = openai_usage(c, KEY, date(2024, 11, 1), date(2024, 11, 3), ["proj_a", "proj_b", "proj_a"],
                         ["completions", "vector_stores"], stats)
    calls = c.session.calls
    assert [call.url for call in calls] == ["https://api.example/v1/organization/usage/completions"] * 3 + [
        "https://api.example/v1/organization/usage/vector_stores"]
    first = calls[0].params
    assert ("group_by[]", "service_tier") in first and ("group_by[]", "batch") in first
    assert [v for k, v in first if k == "project_ids[]"] == ["proj_a", "proj_b"]
    assert ("bucket_width", "1d") in first and ("limit", "31") in first and ("page", "page_2") in calls[2].params
    assert [v for k, v in calls[3].params if k == "group_by[]"] == ["project_id"]
    assert [(r.endpoint, r.usage_date, r.input_tokens) for r in fetch.decoded_rows()] == [
        ("completions", date(2024, 11, 1), 6), ("completions", date(2024, 11, 2), 5),
        ("vector_stores", date(2024, 11, 1), 0)]
    assert fetch.pages == 3 and stats.requests == 3 + 4 and stats.retries == 1 and fetch.stats is stats


def test_a_repeated_cursor_and_a_page_off_the_contract_fail_without_showing_the_key():
    looping = client(response(body=page([], has_more=True, next_page="same")),
                     response(body=page([], has_more=True, next_page="same")))
    with pytest.raises(PaginationError, match="same `next_page` cursor"):
        openai_usage(looping, KEY, date(2024, 11, 1), date(2024, 11, 2), ["proj_a"], ["images"])
    broken = client(response(body=page([{"input_tokens": "many"}])))
    fetch = openai_usage(broken, KEY, date(2024, 11, 1), date(2024, 11, 2), ["proj_a"], ["embeddings"])
    with pytest.raises(CostsApiResponseError, match="embeddings usage endpoint's page 1 does not match") as caught:
        fetch.decoded_rows()  # the bucket's results are decoded when its day is compared (finops.usage.load)
    assert KEY not in str(caught.value)
    off_form = client(response(body={"object": "page", "data": [{"start_time": "soon", "results": []}]}))
    with pytest.raises(CostsApiResponseError, match="embeddings usage endpoint's page 1 does not match"):
        openai_usage(off_form, KEY, date(2024, 11, 1), date(2024, 11, 2), ["proj_a"], ["embeddings"])
    assert openai_usage(client(), KEY, date(2024, 11, 1), date(2024, 11, 2), [], ["completions"]).rows == []


def test_anthropic_usage_keeps_the_registered_workspaces_and_sends_the_groupings():
    body = {"data": [{"starting_at": "2024-11-01T00:00:00Z", "ending_at": "2024-11-02T00:00:00Z", "results": [
        {"uncached_input_tokens": 3, "cache_creation": {"ephemeral_5m_input_tokens": 1,
                                                        "ephemeral_1h_input_tokens": 2},
         "cache_read_input_tokens": 4, "output_tokens": 5, "workspace_id": None, "model": "claude-x"},
        {"uncached_input_tokens": 9, "output_tokens": 9, "workspace_id": "wrkspc_other", "model": "claude-x"}]}],
        "has_more": False, "next_page": None}
    c = client(response(body=body), cls=AnthropicClient)
    fetch = anthropic_usage(c, "sk-ant-admin01-" + "k" * 40, date(2024, 11, 1), date(2024, 11, 2), ["default"])
    (call,) = c.session.calls
    assert call.url == "https://api.example/v1/organizations/usage_report/messages"
    assert [v for k, v in call.params if k == "group_by[]"] == ["workspace_id", "model", "api_key_id",
                                                                "service_tier", "context_window"]
    assert ("starting_at", "2024-11-01T00:00:00Z") in call.params and call.headers["anthropic-version"]
    (row,) = fetch.rows
    assert (row.project_id, row.cache_write_tokens, row.cache_write_5m_tokens) == ("default", 3, 1)
    assert fetch.skipped == 1


def test_a_usage_page_cut_on_the_way_is_fetched_again():
    c = client(response(text='{"object": "page", "data": [{"object": "bucket", "start_'),
               response(body=page([{"input_tokens": 2, "num_model_requests": 1}])))
    stats = RequestStats()
    fetch = openai_usage(c, KEY, date(2024, 11, 1), date(2024, 11, 2), ["proj_a"], ["moderations"], stats)
    assert [r.input_tokens for r in fetch.decoded_rows()] == [2] and stats.retries == 1 and stats.requests == 2

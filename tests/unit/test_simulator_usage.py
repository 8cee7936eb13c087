"""The simulator's usage endpoints in-process: the providers' shapes, groupings, filters, paging, consistency with
the costs it serves (cost quantity = usage tokens; tokens x price = cost) and the knobs."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from finops.simulator import create_app
from finops.simulator.anthropic_data import DESCRIPTIONS, daily_charges
from finops.simulator.config import (
    AdminKey,
    AnthropicKey,
    AnthropicOrganization,
    Organization,
    ProjectConfig,
    SimulatorConfig,
    UsageKnobs,
    WorkspaceConfig,
    random_anthropic_key,
    random_key,
)
from finops.simulator.data import bucket_results

KEY, AKEY = random_key(), random_anthropic_key()
JAN1, DAY = 1735689600, 86400  # 2025-01-01 00:00 UTC
MISSING, MISMATCH = date(2025, 1, 3), date(2025, 1, 4)
JAN1_DATE = date(2025, 1, 1)
ITEMS = ["gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06, cached input", "gpt-4o-2024-08-06, output",
         "batch | gpt-4o-mini-2024-07-18, input", "text-embedding-3-small", "dall-e-3", "whisper-1",
         "assistants api | file search", "web search tool calls", "file search tool calls"]
ORG = Organization(id="org-u", seed=5, keys=[AdminKey(key=KEY)], zero_day_share=0, line_items=ITEMS,
                   projects=[ProjectConfig(id="proj_u1", name="u1"), ProjectConfig(id="proj_u2", name="u2")],
                   usage=UsageKnobs(missing_days=[MISSING], mismatch_days=[MISMATCH]))
AORG = AnthropicOrganization(id="anth-u", seed=6, keys=[AnthropicKey(key=AKEY)], empty_day_share=0,
                             zero_day_share=0, workspaces=[WorkspaceConfig(id="wrkspc_u1", name="u1")])
HEADERS = {"Authorization": f"Bearer {KEY}"}
AHEADERS = {"x-api-key": AKEY, "anthropic-version": "2023-06-01"}


@pytest.fixture
def api():
    return TestClient(create_app(SimulatorConfig(organizations=[ORG], anthropic_organizations=[AORG])))


def usage(api, endpoint, days=2, start=JAN1, **extra):
    params = [("start_time", start), ("end_time", start + days * DAY), *extra.pop("params", [])]
    answer = api.get(f"/v1/organization/usage/{endpoint}", params=params, headers=HEADERS)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_completions_follow_the_reference_shape_and_equal_the_costs_quantities(api):
    body = usage(api, "completions", params=[("group_by[]", "project_id"), ("group_by[]", "model"),
                                             ("group_by[]", "batch")])
    assert body["object"] == "page" and body["has_more"] is False and body["next_page"] is None
    bucket = body["data"][0]
    assert bucket["object"] == "bucket" and bucket["end_time"] - bucket["start_time"] == DAY
    result = bucket["results"][0]
    assert result["object"] == "organization.usage.completions.result"
    assert set(result) >= {"input_tokens", "input_cached_tokens", "output_tokens", "num_model_requests",
                           "project_id", "model", "batch", "api_key_id", "user_id", "service_tier"}
    assert result["api_key_id"] is None and result["service_tier"] is None  # not grouped by them
    served = defaultdict(int)
    for r in bucket["results"]:
        served[(r["project_id"], r["model"], "input")] += r["input_tokens"] - r["input_cached_tokens"]
        served[(r["project_id"], r["model"], "cached input")] += r["input_cached_tokens"]
        served[(r["project_id"], r["model"], "output")] += r["output_tokens"]
    costs = defaultdict(int)
    for c in bucket_results(ORG, date(2025, 1, 1), None):
        if c.line_item.startswith(("gpt-4o", "batch | ")):
            model, _, kind = c.line_item.removeprefix("batch | ").partition(", ")
            costs[(c.project_id, model, kind)] += c.quantity
    assert costs and {k: v for k, v in served.items() if v} == dict(costs)
    assert {r["batch"] for b in body["data"] for r in b["results"]} == {True, False}


def test_the_other_endpoints_serve_their_units(api):
    for endpoint, field in (("embeddings", "input_tokens"), ("images", "images"), ("audio_transcriptions", "seconds"),
                            ("vector_stores", "usage_bytes"), ("moderations", "input_tokens"),
                            ("audio_speeches", "characters"), ("code_interpreter_sessions", "num_sessions")):
        results = usage(api, endpoint)["data"][0]["results"]
        assert all(r["object"] == f"organization.usage.{endpoint}.result" and field in r for r in results)
    assert usage(api, "images")["data"][0]["results"][0]["images"] > 0


def test_the_tool_call_endpoints_count_the_calls_the_costs_bill(api):
    # Web and file search calls (shapes of the official SDKs: num_requests, and num_model_requests for web search).
    start, days = JAN1 + 4 * DAY, 4  # after the knobs' missing and mismatched days
    for endpoint, item in (("web_search_calls", "web search tool calls"), ("file_search_calls", "file search tool calls")):
        body = usage(api, endpoint, days=days, start=start,
                     params=[("group_by[]", "project_id"), ("group_by[]", "api_key_id")])
        served = defaultdict(int)
        for bucket in body["data"]:
            for r in bucket["results"]:
                assert r["object"] == {"web_search_calls": "organization.usage.web_searches.result",
                                       "file_search_calls": "organization.usage.file_searches.result"}[endpoint]
                assert r["api_key_id"] and r["num_requests"] >= 0
                served[(bucket["start_time"], r["project_id"])] += r["num_requests"]
        billed = defaultdict(int)
        for offset in range(days):
            for c in bucket_results(ORG, date.fromordinal(JAN1_DATE.toordinal() + 4 + offset), None):
                if c.line_item == item:
                    billed[(start + offset * DAY, c.project_id)] += c.quantity
        assert billed and {k: v for k, v in served.items() if v} == dict(billed)
    web = [r for b in usage(api, "web_search_calls", days=days, start=start)["data"] for r in b["results"]]
    assert web and all(0 < r["num_model_requests"] for r in web if r["num_requests"])
    bad = api.get("/v1/organization/usage/file_search_calls", params={"start_time": JAN1, "group_by[]": "model"},
                  headers=HEADERS)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "group_by"


def test_groupings_filters_and_paging(api):
    bad = api.get("/v1/organization/usage/vector_stores", params={"start_time": JAN1, "group_by[]": "model"},
                  headers=HEADERS)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "group_by"
    assert api.get("/v1/organization/usage/nope", params={"start_time": JAN1}, headers=HEADERS).status_code == 404
    only = usage(api, "completions", params=[("project_ids[]", "proj_u2"), ("group_by[]", "project_id")])
    assert {r["project_id"] for b in only["data"] for r in b["results"]} == {"proj_u2"}
    first = usage(api, "completions", days=5, params=[("limit", "2")])
    assert len(first["data"]) == 2 and first["has_more"]
    second = usage(api, "completions", days=5, params=[("limit", "2"), ("page", first["next_page"])])
    assert second["data"][0]["start_time"] == JAN1 + 2 * DAY
    ungrouped = usage(api, "completions")["data"][0]["results"]
    assert len(ungrouped) == 1 and ungrouped[0]["project_id"] is None


def test_the_missing_day_and_the_mismatch_knobs(api):
    body = usage(api, "completions", days=4, params=[("group_by[]", "model")])
    by_day = {b["start_time"]: b["results"] for b in body["data"]}
    assert by_day[JAN1 + 2 * DAY] == [] and by_day[JAN1 + DAY]  # 2025-01-03 missing, its costs are not
    assert bucket_results(ORG, MISSING, None)
    mismatch_out = sum(r["output_tokens"] for r in by_day[JAN1 + 3 * DAY])
    cost_out = sum(c.quantity for c in bucket_results(ORG, MISMATCH, None) if c.line_item.endswith(", output"))
    assert mismatch_out == cost_out + 1000


def test_anthropic_usage_report_tokens_times_price_equal_the_cost(api):
    answer = api.get("/v1/organizations/usage_report/messages", headers=AHEADERS, params=[
        ("starting_at", "2025-01-01T00:00:00Z"), ("ending_at", "2025-01-02T00:00:00Z"),
        *[("group_by[]", g) for g in ("workspace_id", "model", "context_window", "service_tier")]])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"data", "has_more", "next_page"} and body["data"][0]["starting_at"] == "2025-01-01T00:00:00Z"
    results = body["data"][0]["results"]
    assert set(results[0]) >= {"uncached_input_tokens", "cache_creation", "cache_read_input_tokens", "output_tokens",
                               "server_tool_use", "workspace_id", "model", "api_key_id", "service_tier",
                               "context_window"}
    price = {(d.model, d.token_type, d.context_window, d.service_tier): d.price_cents
             for d in DESCRIPTIONS.values() if d.cost_type == "tokens"}
    served = Decimal(0)
    for r in results:
        for token_type, tokens in (("uncached_input_tokens", r["uncached_input_tokens"]),
                                   ("output_tokens", r["output_tokens"]),
                                   ("cache_read_input_tokens", r["cache_read_input_tokens"]),
                                   *((f"cache_creation.{k}", v) for k, v in r["cache_creation"].items())):
            if tokens:
                served += tokens * price[(r["model"], token_type, r["context_window"], r["service_tier"])]
    cents = sum((amount for scope in (None, "wrkspc_u1") for name, amount in daily_charges(AORG, scope, JAN1_DATE)
                 if DESCRIPTIONS[name].cost_type == "tokens"), Decimal(0))
    assert served == cents > 0
    assert {r["workspace_id"] for r in results} == {None, "wrkspc_u1"}
    bad = api.get("/v1/organizations/usage_report/messages", headers=AHEADERS,
                  params={"starting_at": "2025-01-01T00:00:00Z", "group_by[]": "description"})
    assert bad.status_code == 400 and bad.json()["type"] == "error"

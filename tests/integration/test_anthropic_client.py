"""The Anthropic client over HTTP against the simulator: exact dollars, a year in 12 pages, faults, refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
from simulator_fixtures import A_FAULTY, A_HEALTHY, A_OTHER

from finops.costs import AdminKeyLacksScope, AdminKeyRejected, AnthropicWorkspaceNotFound, CostsApiBadRequest


def totals(rows) -> dict:
    out: dict = {}
    for row in rows:
        out[row.key[:4]] = out.get(row.key[:4], Decimal(0)) + row.amount
    return out


def test_a_year_is_twelve_pages_with_exact_dollars_per_day_workspace_and_description(simulator, anthropic_client):
    registered = [*simulator.workspace_ids(A_HEALTHY), "default"]
    start, end = date(2025, 1, 1), date(2026, 1, 1)
    stream = anthropic_client.costs(simulator.key(A_HEALTHY), start, end, registered)
    rows = list(stream)
    kept, skipped = simulator.anthropic_expected(A_HEALTHY, start, end, registered)
    assert totals(rows) == kept and len(kept) > 3000 and skipped == {}
    assert stream.pages == 12 and stream.requests == 12 and stream.retries == 0
    assert sum(r.amount for r in rows) == sum(kept.values())
    assert {r.currency for r in rows} == {"usd"} and "default" in {r.project_id for r in rows}


def test_structured_fields_arrive_and_non_token_costs_have_no_model(simulator, anthropic_client):
    rows = list(anthropic_client.costs(simulator.key(A_HEALTHY), date(2025, 3, 1), date(2025, 3, 15), None))
    by_item = {r.line_item: r for r in rows}
    sonnet = by_item["Claude Sonnet 4 Usage - Input Tokens, Long Context"]
    assert (sonnet.model, sonnet.token_type, sonnet.cost_type, sonnet.service_tier, sonnet.context_window,
            sonnet.inference_geo) == ("claude-sonnet-4-20250514", "uncached_input_tokens", "tokens", "standard",
                                      "200k-1M", "us")
    for name, kind in (("Web Search Usage", "web_search"), ("Code Execution Usage", "code_execution")):
        assert (by_item[name].model, by_item[name].token_type, by_item[name].cost_type) == (None, None, kind)


def test_unregistered_workspaces_are_skipped_and_their_amounts_reported(simulator, anthropic_client):
    start, end = date(2025, 2, 1), date(2025, 3, 1)
    registered = [simulator.workspace_ids(A_HEALTHY)[0]]
    stream = anthropic_client.costs(simulator.key(A_HEALTHY), start, end, registered)
    rows = list(stream)
    kept, skipped = simulator.anthropic_expected(A_HEALTHY, start, end, registered)
    assert totals(rows) == kept and {r.project_id for r in rows} == set(registered)
    assert {s.scope_id: s.amount for s in stream.skipped_costs()} == skipped
    assert set(skipped) == {"default", *simulator.workspace_ids(A_HEALTHY)[1:]}
    everything, _ = simulator.anthropic_expected(A_HEALTHY, start, end, None)
    assert sum(kept.values()) + sum(skipped.values()) == sum(everything.values())


def test_429_529_and_5xx_are_retried_to_the_same_totals(simulator, anthropic_client):
    simulator.reset_faults()
    ids = [*simulator.workspace_ids(A_FAULTY), "default"]
    stream = anthropic_client.costs(simulator.key(A_FAULTY), date(2025, 1, 1), date(2025, 4, 1), ids, limit=7)
    rows = list(stream)
    kept, _ = simulator.anthropic_expected(A_FAULTY, date(2025, 1, 1), date(2025, 4, 1), ids)
    assert totals(rows) == kept and stream.pages == 13 and stream.retries > 0
    assert stream.requests == stream.pages + stream.retries


def test_expected_endpoint_agrees_with_what_the_report_serves(simulator):
    params = [("start_date", "2025-05-01"), ("end_date", "2025-05-10"),
              ("workspace_ids[]", simulator.workspace_ids(A_HEALTHY)[0])]
    body = requests.get(f"{simulator.base_url}/_simulator/anthropic/expected", params=params,
                        headers={"x-api-key": simulator.key(A_HEALTHY)}, timeout=10).json()
    kept, skipped = simulator.anthropic_expected(A_HEALTHY, date(2025, 5, 1), date(2025, 5, 10),
                                                 [simulator.workspace_ids(A_HEALTHY)[0]])
    assert Decimal(body["total"]) == sum(kept.values()) and len(body["rows"]) == len(kept)
    assert {s["workspace_id"]: Decimal(s["amount"]) for s in body["skipped"]} == skipped


def test_report_pages_are_fractional_cent_strings_in_usd(simulator):
    params = [("starting_at", "2025-01-01T00:00:00Z"), ("ending_at", "2025-01-08T00:00:00Z"),
              ("group_by[]", "workspace_id"), ("group_by[]", "description")]
    headers = {"x-api-key": simulator.key(A_HEALTHY), "anthropic-version": "2023-06-01"}
    body = requests.get(f"{simulator.base_url}/v1/organizations/cost_report", params=params, headers=headers,
                        timeout=10).json()
    results = [r for b in body["data"] for r in b["results"]]
    assert all(isinstance(r["amount"], str) and r["currency"] == "USD" for r in results)
    assert any("." in r["amount"] for r in results) and any(r["workspace_id"] is None for r in results)
    assert "brand_new_field" in body and "speed" in results[0]


@pytest.mark.parametrize("status,exc", [("revoked", AdminKeyRejected), ("api_key", AdminKeyLacksScope)])
def test_revoked_admin_key_and_normal_api_key_are_refused(simulator, anthropic_client, status, exc):
    key = simulator.key(A_HEALTHY, status)
    with pytest.raises(exc) as err:
        list(anthropic_client.costs(key, date(2025, 1, 1), date(2025, 1, 2), ["default"]))
    assert key not in str(err.value) and err.value.provider == "anthropic"
    with pytest.raises(exc):
        anthropic_client.verify_key(key)


def test_missing_version_header_is_a_bad_request(simulator, anthropic_client, monkeypatch):
    monkeypatch.setattr(type(anthropic_client), "headers", lambda self, key: {"x-api-key": key})
    with pytest.raises(CostsApiBadRequest, match="anthropic-version"):
        anthropic_client.verify_key(simulator.key(A_HEALTHY))


def test_workspaces_are_checked_live_through_the_list(simulator, anthropic_client):
    key = simulator.key(A_HEALTHY)
    anthropic_client.verify_key(key)
    assert anthropic_client.workspace(key, "wrkspc_healthyOld").status == "archived"
    assert anthropic_client.workspace(key, "wrkspc_healthyChat").name == "Chat"
    assert anthropic_client.workspace(key, "default").id == "default"
    with pytest.raises(AnthropicWorkspaceNotFound):
        anthropic_client.workspace(key, simulator.workspace_ids(A_OTHER)[0])
    listed = anthropic_client.workspaces(key, limit=1000)
    assert [w.id for w in listed.workspaces] == sorted(["wrkspc_healthyChat", "wrkspc_healthyAgents"])

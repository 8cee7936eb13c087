"""The simulator's Anthropic routes in-process: error shapes, the bracket-only arrays, faults, fault overrides."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from finops.simulator import create_app
from finops.simulator.anthropic_data import report_results
from finops.simulator.config import (
    ANTHROPIC_API_KEY_PREFIX,
    AnthropicKey,
    AnthropicOrganization,
    Faults,
    SimulatorConfig,
    WorkspaceConfig,
    random_anthropic_key,
)

KEY, API_KEY = random_anthropic_key(), random_anthropic_key(ANTHROPIC_API_KEY_PREFIX)


def config(**faults) -> SimulatorConfig:
    org = AnthropicOrganization(id="acme", seed=3, keys=[AnthropicKey(key=KEY), AnthropicKey(key=API_KEY, status="api_key")],
                                workspaces=[WorkspaceConfig(id="wrkspc_a", name="A")], faults=Faults(**faults))
    return SimulatorConfig(organizations=[], anthropic_organizations=[org])


def get(client, headers=None, **params):
    query = [("starting_at", "2025-01-01T00:00:00Z"), ("ending_at", "2025-01-03T00:00:00Z"),
             ("group_by[]", "workspace_id"), ("group_by[]", "description")] + list(params.items())
    return client.get("/v1/organizations/cost_report", params=query,
                      headers=headers if headers is not None else {"x-api-key": KEY, "anthropic-version": "2023-06-01"})


@pytest.mark.parametrize("headers,status,kind", [
    ({}, 401, "authentication_error"),
    ({"x-api-key": "sk-ant-admin01-unknown", "anthropic-version": "2023-06-01"}, 401, "authentication_error"),
    ({"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}, 403, "permission_error"),
    ({"x-api-key": KEY}, 400, "invalid_request_error"),
])
def test_errors_have_anthropics_shape(headers, status, kind):
    response = get(TestClient(create_app(config())), headers=headers)
    body = response.json()
    assert response.status_code == status and body["type"] == "error" and body["error"]["type"] == kind


def test_plain_array_form_and_a_limit_over_31_are_refused():
    client = TestClient(create_app(config()))
    plain = client.get("/v1/organizations/cost_report", params={"starting_at": "2025-01-01T00:00:00Z",
                                                                "group_by": "workspace_id"},
                       headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"})
    assert plain.status_code == 400 and "group_by[]" in plain.json()["error"]["message"]
    assert get(client, limit="32").status_code == 400


def test_529_then_success_and_429_carries_retry_after():
    client = TestClient(create_app(config(rate_529=1.0, max_consecutive_faults=1)))
    first, second = get(client), get(client)
    assert first.status_code == 529 and first.json()["error"]["type"] == "overloaded_error"
    assert second.status_code == 200
    limited = get(TestClient(create_app(config(rate_429=1.0, retry_after_seconds=3))))
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"


def test_amounts_are_cent_strings_that_add_up_to_the_data():
    body = get(TestClient(create_app(config()))).json()
    org = config().anthropic_organizations[0]
    served = [Decimal(r["amount"]) for b in body["data"] for r in b["results"]]
    from datetime import date

    expected = [r.amount_cents for d in (date(2025, 1, 1), date(2025, 1, 2)) for r in report_results(org, d)]
    assert served == expected and all("E" not in r["amount"] for b in body["data"] for r in b["results"])


def test_fault_overrides_fit_an_organizations_own_529_rate():
    overridden = config(rate_529=0.4).with_faults(rate_429=1.0, rate_5xx=0.0)
    faults = overridden.anthropic_organizations[0].faults
    assert (faults.rate_429, faults.rate_5xx, faults.rate_529) == (1.0, 0.0, 0.0)
    assert config(rate_529=0.4).with_faults(rate_529=0.1).anthropic_organizations[0].faults.rate_529 == 0.1

"""Anthropic's cost report pages from hand-built bodies: cents to dollars, default workspace, quirks, errors."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from finops.costs.anthropic_report import cents_to_dollars, decode_cost_report, decode_workspaces
from finops.costs.errors import CostsApiResponseError


def result(**overrides):
    base = {"currency": "USD", "amount": "123.78912", "workspace_id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
            "description": "Claude Sonnet 4 Usage - Input Tokens", "cost_type": "tokens",
            "context_window": "0-200k", "model": "claude-sonnet-4-20250514", "service_tier": "standard",
            "token_type": "uncached_input_tokens", "inference_geo": "global"}
    base.update(overrides)
    return base


def bucket(*results, day="2026-10-01"):
    nxt = date.fromisoformat(day).toordinal() + 1
    return {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{date.fromordinal(nxt)}T00:00:00Z",
            "results": list(results)}


def page(*buckets, has_more=False, next_page=None, **extra):
    return json.dumps({"data": list(buckets), "has_more": has_more, "next_page": next_page, **extra})


def test_contract_example_is_dollars_exactly_with_every_structured_field():
    parsed = decode_cost_report(page(bucket(result())), page=1)
    (row,) = parsed.rows
    assert row.amount == Decimal("1.2378912") and str(row.amount) == "1.2378912"
    assert (row.usage_date, row.project_id, row.line_item, row.currency) == (
        date(2026, 10, 1), "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "Claude Sonnet 4 Usage - Input Tokens", "usd")
    assert (row.model, row.token_type, row.cost_type, row.service_tier, row.context_window, row.inference_geo) == (
        "claude-sonnet-4-20250514", "uncached_input_tokens", "tokens", "standard", "0-200k", "global")
    assert row.quantity is None and row.quantity_unit is None and row.organization_id is None
    assert parsed.buckets == 1 and not parsed.has_more and parsed.next_page is None


@pytest.mark.parametrize("cents,dollars", [
    ("123.78912", "1.2378912"), ("0.0000001", "1E-9"), ("100", "1.00"), ("7", "0.07"),
    ("12345678901234567890.123456789012345", "123456789012345678.90123456789012345"), ("0", "0"),
])
def test_cents_become_dollars_to_the_last_digit(cents, dollars):
    assert cents_to_dollars(Decimal(cents)) == Decimal(dollars)


def test_a_numeric_amount_is_also_cents():
    (row,) = decode_cost_report(page(bucket(result(amount=250))), page=1).rows
    assert row.amount == Decimal("2.50")


def test_null_workspace_is_the_default_workspace():
    rows = decode_cost_report(page(bucket(result(workspace_id=None), result(description="x"))), page=1).rows
    assert [r.project_id for r in rows] == ["default", "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"]


def test_non_token_costs_have_no_model_or_token_type():
    web = result(description="Web Search Usage", cost_type="web_search", model=None, token_type=None,
                 context_window=None, service_tier=None, inference_geo=None, amount="1000")
    code = result(description="Code Execution Usage", cost_type="code_execution", model=None, token_type=None,
                  amount="5.5")
    rows = decode_cost_report(page(bucket(web, code)), page=1).rows
    assert [(r.line_item, r.cost_type, r.model, r.token_type, r.amount) for r in rows] == [
        ("Web Search Usage", "web_search", None, None, Decimal("10.00")),
        ("Code Execution Usage", "code_execution", None, None, Decimal("0.055")),
    ]


def test_empty_buckets_and_unknown_fields_are_fine():
    body = page(bucket(day="2026-10-01"), bucket(result(speed="fast", new={"x": [1]}), day="2026-10-02"),
                {"starting_at": "2026-10-03T00:00:00Z", "results": None}, brand_new=True)
    parsed = decode_cost_report(body, page=1)
    assert parsed.buckets == 3 and [r.usage_date for r in parsed.rows] == [date(2026, 10, 2)]


def test_bucket_date_is_the_utc_day_of_starting_at():
    (row,) = decode_cost_report(page({"starting_at": "2026-10-01T20:00:00-05:00", "results": [result()]}),
                                page=1).rows
    assert row.usage_date == date(2026, 10, 2)


def test_duplicate_keys_in_a_bucket_add_up_and_keep_only_agreeing_fields():
    rows = decode_cost_report(page(bucket(result(amount="1.5"), result(amount="2.5", service_tier="batch"))),
                              page=1).rows
    (row,) = rows
    assert row.amount == Decimal("0.04") and row.service_tier is None and row.model == "claude-sonnet-4-20250514"


def test_paging_fields():
    parsed = decode_cost_report(page(bucket(result()), has_more=True, next_page="page_abc"), page=1)
    assert parsed.has_more and parsed.next_page == "page_abc"
    assert decode_cost_report(json.dumps({"data": [], "next_page": "2026-10-08T00:00:00Z"}), page=1).has_more


@pytest.mark.parametrize("body,problem", [
    (page(bucket(result(amount="lots"))), "at `data[0].results[0].amount`: invalid decimal"),
    (page(bucket(result(amount="NaN"))), "`data[0].results[0].amount` is NaN, not a finite number"),
    (page(bucket(result(amount=True))), "expected `decimal`, got `bool`"),
    (page(bucket(result(currency=""))), "`data[0].results[0].currency` is empty"),
    (page(bucket(result(workspace_id=7))), "at `data[0].results[0].workspace_id`: expected `str | null`"),
    (page({"starting_at": "yesterday", "results": []}), "at `data[0].starting_at`: invalid RFC3339"),
    ('{"has_more": false}', "`data` is missing"),
])
def test_contract_breaks_name_the_page_and_the_spot(body, problem):
    with pytest.raises(CostsApiResponseError) as err:
        decode_cost_report(body, page=5)
    message = str(err.value)
    assert "The Anthropic cost report's page 5" in message and problem in message


def test_error_object_and_html_are_errors():
    error = json.dumps({"type": "error", "error": {"type": "api_error", "message": "Internal server error"}})
    with pytest.raises(CostsApiResponseError, match="HTTP 200 but an error object .*api_error"):
        decode_cost_report(error, page=1)
    with pytest.raises(CostsApiResponseError, match="not valid JSON .*text/html.*`anthropic_api`"):
        decode_cost_report("<html>502</html>", page=1, content_type="text/html")


def test_workspace_page():
    body = json.dumps({"data": [{"id": "wrkspc_a", "type": "workspace", "name": "A", "created_at": "2025-01-01T00:00:00Z",
                                 "archived_at": None, "display_color": "#fff"},
                                {"id": "wrkspc_b", "name": "B", "archived_at": "2025-06-01T00:00:00Z"}],
                       "has_more": True, "first_id": "wrkspc_a", "last_id": "wrkspc_b"})
    parsed = decode_workspaces(body, page=1)
    assert [(w.id, w.name, w.status) for w in parsed.workspaces] == [("wrkspc_a", "A", "active"),
                                                                     ("wrkspc_b", "B", "archived")]
    assert parsed.has_more and parsed.last_id == "wrkspc_b"

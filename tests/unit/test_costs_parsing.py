"""Parsing Costs API pages from hand-built bodies: exact amounts, nulls, quirks and schema errors."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from finops.costs.errors import CostsApiResponseError
from finops.costs.parsing import describe_body, parse_costs_page, parse_project, scrub

DAY = 1736553600  # 2025-01-11 00:00 UTC


def result(**overrides):
    base = {
        "object": "organization.costs.result",
        "amount": {"value": 0.12744, "currency": "usd"},
        "line_item": "ft-gpt-4o-2024-08-06, input",
        "project_id": "proj_hNhhQzyYu7HxySZWs7cA3Ugu",
        "api_key_id": None,
        "quantity": 50976,
        "quantity_unit": "tokens",
        "organization_id": "org-GLHrIv00VVN9dEQC2b4wsBkf",
    }
    base.update(overrides)
    return base


def page(*buckets, has_more=False, next_page=None, raw=False):
    body = {"object": "page", "data": list(buckets), "has_more": has_more, "next_page": next_page}
    return body if raw else json.dumps(body)


def bucket(*results, start=DAY):
    return {"object": "bucket", "start_time": start, "end_time": start + 86400, "results": list(results)}


def test_contract_example_parses_exactly():
    parsed = parse_costs_page(page(bucket(result()), has_more=True, next_page="page_AAAA"), page=1)
    assert parsed.has_more and parsed.next_page == "page_AAAA" and parsed.buckets == 1
    (row,) = parsed.rows
    assert row.usage_date == date(2025, 1, 11)
    assert row.project_id == "proj_hNhhQzyYu7HxySZWs7cA3Ugu"
    assert row.line_item == "ft-gpt-4o-2024-08-06, input"
    assert row.amount == Decimal("0.12744") and isinstance(row.amount, Decimal)
    assert row.quantity == Decimal(50976) and row.quantity_unit == "tokens"
    assert row.currency == "usd" and row.organization_id == "org-GLHrIv00VVN9dEQC2b4wsBkf"


def test_float_noise_is_kept_to_the_last_digit():
    text = ('{"data":[{"start_time":DAY,"results":[{"amount":{"value":0.13080438340307526,"currency":"usd"},'
            '"line_item":"x","project_id":"proj_a"}]}],"has_more":false,"next_page":null}').replace("DAY", str(DAY))
    (row,) = parse_costs_page(text, page=1).rows
    assert row.amount == Decimal("0.13080438340307526")
    assert str(row.amount) == "0.13080438340307526"


def test_long_decimal_beyond_float_precision_is_exact():
    text = page(bucket(result())).replace("0.12744", "12345678901234567.000000000000000001")
    assert parse_costs_page(text, page=1).rows[0].amount == Decimal("12345678901234567.000000000000000001")


@pytest.mark.parametrize("value,expected", [("12.50", Decimal("12.50")), (" 3 ", Decimal(3)), (7, Decimal(7)),
                                            ("1e-7", Decimal("1E-7"))])
def test_string_and_integer_amounts(value, expected):
    (row,) = parse_costs_page(page(bucket(result(amount={"value": value, "currency": "USD"}))), page=1).rows
    assert row.amount == expected and row.currency == "usd"


def test_null_project_is_unassigned_not_dropped():
    rows = parse_costs_page(page(bucket(result(project_id=None), result(project_id="proj_b"))), page=1).rows
    assert [r.project_id for r in rows] == ["unassigned", "proj_b"]


def test_unknown_fields_are_ignored():
    b = bucket(result(new_field={"nested": 1}, service_tier="flex"))
    b["extra"] = "x"
    body = page(b, raw=True)
    body["brand_new"] = [1, 2]
    assert len(parse_costs_page(json.dumps(body), page=1).rows) == 1


def test_empty_pages_and_buckets_are_fine():
    assert parse_costs_page(page(), page=1).rows == []
    parsed = parse_costs_page(page(bucket(), {"object": "bucket", "start_time": DAY, "results": None}), page=1)
    assert parsed.rows == [] and parsed.buckets == 2


def test_null_quantity_and_missing_optional_fields():
    r = {"amount": {"value": "1.5", "currency": "usd"}, "line_item": "Text tokens", "project_id": "proj_a"}
    (row,) = parse_costs_page(page(bucket(r)), page=1).rows
    assert row.quantity is None and row.quantity_unit is None and row.organization_id is None


def test_float_start_time_is_read_as_a_time():
    (row,) = parse_costs_page(page(bucket(result())).replace(str(DAY), f"{DAY}.0"), page=1).rows
    assert row.usage_date == date(2025, 1, 11)


@pytest.mark.parametrize("text,problem", [
    ("[1, 2]", "the body: expected `object`, got `array`"),
    ('{"data": [], "has_more": "yes"}', "at `has_more`: expected `bool | null`, got `str`"),
    ('{"data": [{"results": []}]}', "missing required field `start_time`"),
])
def test_the_page_shape_is_checked(text, problem):
    with pytest.raises(CostsApiResponseError) as err:
        parse_costs_page(text, page=1)
    assert problem in str(err.value)


def test_missing_has_more_follows_next_page():
    body = {"data": [], "next_page": "page_x"}
    assert parse_costs_page(json.dumps(body), page=1).has_more is True
    assert parse_costs_page(json.dumps({"data": []}), page=1).has_more is False


@pytest.mark.parametrize(
    "bad,field",
    [
        ({"amount": None}, "at `data[0].results[1].amount`: expected `object`, got `null`"),
        ({"amount": {"currency": "usd"}}, "at `data[0].results[1].amount`: object missing required field `value`"),
        ({"amount": {"value": "twelve", "currency": "usd"}}, "at `data[0].results[1].amount.value`: invalid decimal"),
        ({"amount": {"value": "NaN", "currency": "usd"}}, "`data[0].results[1].amount.value` is NaN, not a finite"),
        ({"amount": {"value": True, "currency": "usd"}}, "`data[0].results[1].amount.value`: expected `decimal`, got `bool`"),
        ({"amount": {"value": 1}}, "missing required field `currency`"),
        ({"amount": {"value": 1, "currency": " "}}, "has an empty `amount.currency`"),
        ({"quantity": "lots"}, "at `data[0].results[1].quantity`: invalid decimal"),
        ({"quantity": "Infinity"}, "`data[0].results[1].quantity` is Infinity, not a finite"),
        ({"project_id": 7}, "at `data[0].results[1].project_id`: expected `str | null`, got `int`"),
    ],
)
def test_schema_errors_name_the_field_and_the_page(bad, field):
    rows = [result(), result(**bad)]
    with pytest.raises(CostsApiResponseError) as err:
        parse_costs_page(page(bucket(*rows)), page=4)
    assert "page 4" in str(err.value) and field in str(err.value)


def test_nan_literal_is_rejected():
    with pytest.raises(CostsApiResponseError, match="not valid JSON"):
        parse_costs_page(page(bucket(result())).replace("0.12744", "NaN"), page=1)


def test_missing_data_is_a_schema_error():
    with pytest.raises(CostsApiResponseError, match=r"page 2 .*`data` is missing"):
        parse_costs_page('{"object": "page"}', page=2)


def test_ok_status_with_error_object_is_an_error():
    body = json.dumps({"error": {"message": "Internal error", "type": "server_error", "param": None}})
    with pytest.raises(CostsApiResponseError, match="HTTP 200 but an error object .*server_error"):
        parse_costs_page(body, page=1)


def test_html_body_names_what_was_received():
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    with pytest.raises(CostsApiResponseError) as err:
        parse_costs_page(html, page=3, status=200, content_type="text/html")
    message = str(err.value)
    assert "page 3" in message and "text/html" in message and "502 Bad Gateway" in message and "HTTP 200" in message


def test_truncated_json_is_malformed():
    with pytest.raises(CostsApiResponseError, match="not valid JSON"):
        parse_costs_page(page(bucket(result()))[:-20], page=1)


def test_describe_body_truncates_and_scrubs():
    text = "x" * 300 + " sk-admin-abcdefghijklmnopqrstuvwxyz0123"
    assert len(describe_body(text, status=502, content_type="text/plain")) < 160
    assert "sk-admin-" not in describe_body("token sk-admin-abcdefghijklmnopqrstuvwxyz0123 leaked")
    assert describe_body("", status=500).endswith("an empty body")


def test_scrub_removes_the_exact_key_and_key_shapes():
    assert scrub("a KEY123 b", "KEY123") == "a [redacted] b"
    assert "sk-proj" not in scrub("Incorrect API key provided: sk-proj-****abcd")


def test_parse_project():
    p = parse_project({"id": "proj_a", "object": "organization.project", "name": "A", "created_at": 1711471533,
                       "archived_at": None, "status": "active"})
    assert p.id == "proj_a" and p.name == "A" and p.status == "active" and p.archived_at is None
    assert p.created_at.year == 2024
    with pytest.raises(CostsApiResponseError):
        parse_project({"name": "no id"})

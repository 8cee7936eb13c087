"""The typed fast path for Costs API pages gives exactly the checked path's rows, or steps aside."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from finops.costs.page_schema import decode_page
from finops.costs.parsing import parse_costs_body

DAY = 1736553600  # 2025-01-11 00:00 UTC


def result(**overrides):
    base = {"object": "organization.costs.result", "amount": {"value": 0.12744, "currency": "usd"},
            "line_item": "gpt-4o, input", "project_id": "proj_a", "api_key_id": None, "quantity": 50976,
            "quantity_unit": "tokens", "organization_id": "org-a"}
    base.update(overrides)
    return base


def body(*results, **page_fields):
    page = {"object": "page", "data": [{"object": "bucket", "start_time": DAY, "end_time": DAY + 86400,
                                        "results": list(results)}], "has_more": False, "next_page": None}
    page.update(page_fields)
    return json.dumps(page)


def checked(text: str):
    return parse_costs_body(json.loads(text, parse_float=Decimal), page=1)


WELL_FORMED = {
    "contract example": body(result()),
    "float noise": body(result(amount={"value": 0.13080438340307526, "currency": "usd"})),
    "string amount": body(result(amount={"value": "12.50", "currency": "usd"})),
    "padded string amount": body(result(amount={"value": " 12.50 ", "currency": "usd"})),
    "integer amount": body(result(amount={"value": 3, "currency": "usd"})),
    "exponent": body(result(amount={"value": 1.5e-07, "currency": "usd"})),
    "long decimal": body(result()).replace("0.12744", "12345678901234567.000000000000000001"),
    "null project": body(result(project_id=None), result(project_id="proj_b")),
    "missing optional fields": body({"amount": {"value": 1, "currency": "usd"}}),
    "upper-case currency": body(result(amount={"value": 1, "currency": " USD "})),
    "decimal quantity": body(result(quantity=12.5)),
    "string quantity": body(result(quantity="7")),
    "null quantity": body(result(quantity=None, quantity_unit=None)),
    "unknown fields": body(result(new_field={"nested": [1, 2]}), extra="x"),
    "null results": body().replace('"results": []', '"results": null'),
    "no has_more, a cursor": json.dumps({"data": [], "next_page": "page_B"}),
    "more pages": body(result(), has_more=True, next_page="page_AAAA"),
}


@pytest.mark.parametrize("text", WELL_FORMED.values(), ids=WELL_FORMED.keys())
def test_fast_path_gives_the_checked_rows(text):
    fast = decode_page(text)
    assert fast is not None, "a well-formed page must take the fast path"
    slow = checked(text)
    assert fast.rows == slow.rows
    assert [tuple(map(type, r)) for r in fast.rows] == [tuple(map(type, r)) for r in slow.rows]
    assert [str(r.amount) for r in fast.rows] == [str(r.amount) for r in slow.rows]
    assert (fast.has_more, fast.next_page, fast.buckets) == (slow.has_more, slow.next_page, slow.buckets)


def test_fast_path_accepts_bytes():
    assert decode_page(body(result()).encode()).rows == checked(body(result())).rows


NEEDS_CHECKS = {
    "NaN string": body(result(amount={"value": "NaN", "currency": "usd"})),
    "Infinity string": body(result(amount={"value": "Infinity", "currency": "usd"})),
    "not a number": body(result(amount={"value": "twelve", "currency": "usd"})),
    "boolean amount": body(result(amount={"value": True, "currency": "usd"})),
    "no currency": body(result(amount={"value": 1})),
    "empty currency": body(result(amount={"value": 1, "currency": ""})),
    "infinite quantity": body(result(quantity="Infinity")),
    "numeric project": body(result(project_id=7)),
    "float start_time": body().replace(str(DAY), f"{DAY}.0"),
    "error object": json.dumps({"data": [], "error": {"message": "boom", "type": "server_error"}}),
    "no data": '{"object": "page"}',
    "not JSON": "<html>502</html>",
    "NaN literal": body(result()).replace("0.12744", "NaN"),
    "has_more not a boolean": body(has_more="yes"),
}


@pytest.mark.parametrize("text", NEEDS_CHECKS.values(), ids=NEEDS_CHECKS.keys())
def test_anything_unusual_takes_the_checked_path(text):
    assert decode_page(text) is None

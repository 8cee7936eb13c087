"""The one contract of a Costs API page (msgspec structs): exact rows from well-formed pages, one sentence otherwise."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from finops.costs.errors import CostsApiResponseError
from finops.costs.page_schema import decode_page

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


def reference(text: str) -> list[tuple]:
    """An independent reading of the contract with ``json`` and dicts: (project, line item, currency, amount, quantity)."""
    page = json.loads(text, parse_float=Decimal)
    out = []
    for bucket in page["data"]:
        for r in bucket.get("results") or ():
            value = r["amount"]["value"]
            quantity = r.get("quantity")
            out.append((r.get("project_id") or "unassigned", r.get("line_item") or "",
                        r["amount"]["currency"].strip().lower(),
                        Decimal(value.strip() if isinstance(value, str) else value),
                        None if quantity is None else Decimal(quantity)))
    return out


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
def test_well_formed_pages_give_exact_rows(text):
    page = decode_page(text)
    got = [(r.project_id, r.line_item, r.currency, r.amount, r.quantity) for r in page.rows]
    assert got == reference(text)
    assert [str(r.amount) for r in page.rows] == [str(x[3]) for x in reference(text)]
    assert all(type(r.amount) is Decimal and r.model is None for r in page.rows)
    raw = json.loads(text)
    assert page.next_page == raw.get("next_page")
    assert page.has_more == (raw["has_more"] if "has_more" in raw else raw.get("next_page") is not None)


def test_bytes_and_text_give_the_same_rows():
    assert decode_page(body(result()).encode()).rows == decode_page(body(result())).rows


BROKEN = {
    "NaN string": body(result(amount={"value": "NaN", "currency": "usd"})),
    "Infinity string": body(result(amount={"value": "Infinity", "currency": "usd"})),
    "not a number": body(result(amount={"value": "twelve", "currency": "usd"})),
    "boolean amount": body(result(amount={"value": True, "currency": "usd"})),
    "no currency": body(result(amount={"value": 1})),
    "empty currency": body(result(amount={"value": 1, "currency": ""})),
    "infinite quantity": body(result(quantity="Infinity")),
    "numeric project": body(result(project_id=7)),
    "string start_time": body().replace(str(DAY), f'"{DAY}"'),
    "error object": json.dumps({"data": [], "error": {"message": "boom", "type": "server_error"}}),
    "no data": '{"object": "page"}',
    "not JSON": "<html>502</html>",
    "NaN literal": body(result()).replace("0.12744", "NaN"),
    "has_more not a boolean": body(has_more="yes"),
}


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_anything_else_is_one_sentence_naming_the_page(text):
    with pytest.raises(CostsApiResponseError) as err:
        decode_page(text, page=3)
    message = str(err.value)
    assert "page 3" in message and message.count(". ") == 0 and message.endswith(".")

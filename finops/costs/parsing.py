"""Parsing Costs API pages into cost rows: amounts exact from the JSON text, never through float."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from finops.costs.errors import CostsApiResponseError
from finops.costs.models import UNASSIGNED, CostRow, CostsPage, Project
from finops.costs.page_schema import decode_page

_SECRET = re.compile(r"sk-[A-Za-z0-9_*.-]{6,}")


def scrub(text: str, api_key: str | None = None) -> str:
    """Remove the key (and anything shaped like an OpenAI key) from text meant for users or logs."""
    if api_key:
        text = text.replace(api_key, "[redacted]")
    return _SECRET.sub("[redacted]", text)


def describe_body(text: str, *, status: int | None = None, content_type: str | None = None) -> str:
    """What was received, for an error message: status, content type and the body's first 100 chars."""
    snippet = " ".join(scrub(text).split())
    snippet = snippet[:100] + ("..." if len(snippet) > 100 else "")
    parts = []
    if status is not None:
        parts.append(f"HTTP {status}")
    parts.append(f"content type {content_type or 'unknown'}")
    parts.append(f"body {snippet!r}" if snippet else "an empty body")
    return ", ".join(parts)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid amount")


def load_json(text: str, *, what: str, status: int | None = None, content_type: str | None = None) -> Any:
    """Decode a response body with exact decimals; an undecodable body names what was received."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except ValueError:
        received = describe_body(text, status=status, content_type=content_type)
        raise CostsApiResponseError(
            f"The OpenAI API sent {what} that is not valid JSON ({received}); check that the `openai_api` "
            "connection points at the API and that no proxy is rewriting or cutting responses.",
            status=status,
        ) from None


def _schema_error(page: int, problem: str) -> CostsApiResponseError:
    return CostsApiResponseError(
        f"The Costs API's page {page} does not match the contract ({problem}); nothing from this window "
        "was kept, check for a proxy between Airflow and the API or report the API change."
    )


def _decimal(value: Any, *, field: str, page: int, required: bool) -> Decimal | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise _schema_error(page, f"`{field}` is {json.dumps(value, default=str)[:40]}, not a number")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise _schema_error(page, f"`{field}` is {value[:40]!r}, not a number") from None
    if not number.is_finite():
        raise _schema_error(page, f"`{field}` is {value!r}, not a finite number")
    return number


def _text(value: Any, *, field: str, page: int) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _schema_error(page, f"`{field}` is {json.dumps(value, default=str)[:40]}, not a string")


def _bucket_date(bucket: dict, page: int) -> date:
    start = bucket.get("start_time")
    if isinstance(start, bool) or not isinstance(start, (int, Decimal)):
        raise _schema_error(page, "a bucket has no integer `start_time`")
    return datetime.fromtimestamp(int(start), UTC).date()


def parse_costs_body(body: Any, *, page: int) -> CostsPage:
    """Turn one decoded ``/v1/organization/costs`` page into cost rows and its paging fields."""
    if not isinstance(body, dict):
        raise _schema_error(page, f"the body is a JSON {type(body).__name__}, not an object")
    if "error" in body and body["error"]:
        error = body["error"] if isinstance(body["error"], dict) else {"message": str(body["error"])}
        raise CostsApiResponseError(
            f"The Costs API answered page {page} with HTTP 200 but an error object "
            f"(type {error.get('type')!s}, message {scrub(str(error.get('message')))[:100]!r}); "
            "nothing from this window was kept, run it again later."
        )
    data = body.get("data")
    if not isinstance(data, list):
        raise _schema_error(page, "`data` is missing or not a list")
    rows: list[CostRow] = []
    for bucket in data:
        if not isinstance(bucket, dict):
            raise _schema_error(page, "a bucket in `data` is not an object")
        usage_date = _bucket_date(bucket, page)
        results = bucket.get("results") or []
        if not isinstance(results, list):
            raise _schema_error(page, f"`results` of the {usage_date} bucket is not a list")
        for result in results:
            rows.append(_parse_result(result, usage_date, page))
    has_more = body.get("has_more")
    next_page = _text(body.get("next_page"), field="next_page", page=page)
    if has_more is None:
        has_more = next_page is not None
    elif not isinstance(has_more, bool):
        raise _schema_error(page, "`has_more` is not true or false")
    return CostsPage(rows=rows, buckets=len(data), has_more=has_more, next_page=next_page)


def _parse_result(result: Any, usage_date: date, page: int) -> CostRow:
    if not isinstance(result, dict):
        raise _schema_error(page, f"a result of the {usage_date} bucket is not an object")
    amount = result.get("amount")
    if not isinstance(amount, dict):
        raise _schema_error(page, f"a result of the {usage_date} bucket has no `amount` object")
    if "value" not in amount:
        raise _schema_error(page, f"a result of the {usage_date} bucket has no `amount.value`")
    value = _decimal(amount["value"], field="amount.value", page=page, required=True)
    currency = _text(amount.get("currency"), field="amount.currency", page=page)
    if not currency:
        raise _schema_error(page, f"a result of the {usage_date} bucket has no `amount.currency`")
    return CostRow(
        usage_date=usage_date,
        project_id=_text(result.get("project_id"), field="project_id", page=page) or UNASSIGNED,
        line_item=_text(result.get("line_item"), field="line_item", page=page) or "",
        currency=currency.strip().lower(),
        amount=value,
        quantity=_decimal(result.get("quantity"), field="quantity", page=page, required=False),
        quantity_unit=_text(result.get("quantity_unit"), field="quantity_unit", page=page),
        organization_id=_text(result.get("organization_id"), field="organization_id", page=page),
    )


def parse_costs_page(
    body: str | bytes, *, page: int, status: int | None = 200, content_type: str | None = "application/json"
) -> CostsPage:
    """One Costs API page from its body: the typed fast path, or the checked path that names any problem."""
    parsed = decode_page(body)
    if parsed is not None:
        return parsed
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    decoded = load_json(text, what=f"Costs API page {page}", status=status, content_type=content_type)
    return parse_costs_body(decoded, page=page)


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    return datetime.fromtimestamp(int(value), UTC)


def parse_project(obj: Any) -> Project:
    """One ``organization.project`` object as a :class:`Project`."""
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise CostsApiResponseError(
            "The projects endpoint sent a project without an `id`; check that the `openai_api` connection "
            "points at the OpenAI API and report the API change if it does."
        )
    return Project(
        id=obj["id"],
        name=str(obj.get("name") or ""),
        status=str(obj.get("status") or "active"),
        archived_at=_timestamp(obj.get("archived_at")),
        created_at=_timestamp(obj.get("created_at")),
    )

"""Each provider's usage results into :class:`UsageRow` (pure; the field mapping is documented in docs/usage.md).

OpenAI's ``input_tokens`` include the cached tokens (and, in newer responses, the cache-write tokens):
the uncached input is ``input_uncached_tokens`` when sent, else ``input_tokens - input_cached_tokens -
input_cache_write_tokens``. Anthropic's ``uncached_input_tokens`` already exclude them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from finops.costs.models import UNASSIGNED
from finops.providers import DEFAULT_WORKSPACE
from finops.usage.models import UsageRow

#: OpenAI endpoints whose results carry a non-token unit: endpoint -> (result field, unit).
OPENAI_UNITS = {
    "images": ("images", "images"),
    "audio_speeches": ("characters", "characters"),
    "audio_transcriptions": ("seconds", "seconds"),
    "vector_stores": ("usage_bytes", "bytes"),
    "code_interpreter_sessions": ("num_sessions", "sessions"),
    "web_search_calls": ("num_requests", "calls"),
    "file_search_calls": ("num_requests", "calls"),
}


#: Tool endpoints whose ``num_model_requests`` are requests the model endpoints already count: not added again.
TOOL_CALLS = ("web_search_calls", "file_search_calls")


class UsageShapeError(ValueError):
    """A usage result that does not fit its contract (a count that is not a whole number, a bucket without a day)."""


def count(result: dict[str, Any], name: str, *, default: int | None = 0) -> int | None:
    """A whole, non-negative count from a result; absent or null gives ``default``."""
    value = result.get(name)
    if value is None:
        return default
    if type(value) is int and value >= 0:  # a JSON integer, as nearly every count is (a bool is not of type int)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, str)):
        raise UsageShapeError(f"`{name}` is {value!r}, not a count")
    try:
        number = Decimal(str(value))
        whole = number.is_finite() and number == number.to_integral_value() and number >= 0
    except ArithmeticError:  # not a number at all
        whole = False
    if not whole:
        raise UsageShapeError(f"`{name}` is {value!r}, not a whole number of 0 or more")
    return int(number)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def bucket_day(bucket: dict[str, Any]) -> date:
    """The UTC day of a bucket (OpenAI ``start_time`` in Unix seconds, Anthropic ``starting_at`` RFC 3339)."""
    if "start_time" in bucket:
        return datetime.fromtimestamp(int(bucket["start_time"]), UTC).date()
    if "starting_at" in bucket:
        return datetime.fromisoformat(str(bucket["starting_at"]).replace("Z", "+00:00")).astimezone(UTC).date()
    raise UsageShapeError("a bucket has neither `start_time` nor `starting_at`")


def openai_result(endpoint: str, day: date, result: dict[str, Any]) -> UsageRow:
    """One OpenAI usage result (any endpoint) in the common vocabulary."""
    project = _text(result.get("project_id")) or UNASSIGNED
    common = {"usage_date": day, "project_id": project, "endpoint": endpoint,
              "api_key_id": _text(result.get("api_key_id")), "model": _text(result.get("model")),
              "service_tier": _text(result.get("service_tier")),
              "batch": result.get("batch") if isinstance(result.get("batch"), bool) else None,
              "requests": None if endpoint in TOOL_CALLS else count(result, "num_model_requests", default=None)}
    if endpoint in OPENAI_UNITS:
        name, unit = OPENAI_UNITS[endpoint]
        value = count(result, name, default=None)
        if value is None and name == "num_sessions":
            value = count(result, "sessions", default=None)
        return UsageRow(**common, quantity=None if value is None else Decimal(value), quantity_unit=unit)
    total_input = count(result, "input_tokens")
    cached = count(result, "input_cached_tokens")
    written = count(result, "input_cache_write_tokens")
    uncached = count(result, "input_uncached_tokens", default=None)
    if uncached is None:
        uncached = total_input - cached - written
        if uncached < 0:
            raise UsageShapeError(f"`input_tokens` ({total_input}) is less than its cached and cache-write parts")
    audio_in = count(result, "input_audio_tokens")
    return UsageRow(**common, input_tokens=uncached, cache_read_tokens=cached, cache_write_tokens=written,
                    output_tokens=count(result, "output_tokens"), input_audio_tokens=audio_in,
                    output_audio_tokens=count(result, "output_audio_tokens"))


def anthropic_result(day: date, result: dict[str, Any]) -> UsageRow:
    """One Anthropic message usage result in the common vocabulary (requests are not reported: null)."""
    creation = result.get("cache_creation") or {}
    if not isinstance(creation, dict):
        raise UsageShapeError("`cache_creation` is not an object")
    five = count(creation, "ephemeral_5m_input_tokens")
    hour = count(creation, "ephemeral_1h_input_tokens")
    tools = result.get("server_tool_use") or {}
    searches = count(tools, "web_search_requests") if isinstance(tools, dict) else 0
    tier = _text(result.get("service_tier"))
    return UsageRow(
        usage_date=day, project_id=_text(result.get("workspace_id")) or DEFAULT_WORKSPACE, endpoint="messages",
        api_key_id=_text(result.get("api_key_id")), model=_text(result.get("model")),
        service_tier=tier, batch=None if tier is None else tier == "batch",
        context_window=_text(result.get("context_window")), requests=None,
        input_tokens=count(result, "uncached_input_tokens"), cache_read_tokens=count(result, "cache_read_input_tokens"),
        cache_write_tokens=five + hour, cache_write_5m_tokens=five, cache_write_1h_tokens=hour,
        output_tokens=count(result, "output_tokens"),
        quantity=Decimal(searches) if searches else None, quantity_unit="web_search_requests" if searches else None,
    )


def page_rows(provider: str, endpoint: str, body: Any) -> tuple[list[UsageRow], bool, str | None]:
    """A decoded usage page's rows, ``has_more`` and ``next_page``; a page off its contract raises UsageShapeError."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise UsageShapeError("the page has no `data` list")
    rows = []
    for bucket in body["data"]:
        if not isinstance(bucket, dict):
            raise UsageShapeError("a bucket is not an object")
        day = bucket_day(bucket)
        results = bucket.get("results") or []
        if not isinstance(results, list):
            raise UsageShapeError("a bucket's `results` is not a list")
        for result in results:
            if not isinstance(result, dict):
                raise UsageShapeError("a result is not an object")
            rows.append(anthropic_result(day, result) if provider == "anthropic"
                        else openai_result(endpoint, day, result))
    next_page = body.get("next_page")
    return rows, bool(body.get("has_more")), None if next_page in (None, "") else str(next_page)

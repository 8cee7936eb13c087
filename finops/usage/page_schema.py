"""The OpenAI usage page as it nearly always comes, decoded in C straight into usage rows.

A page whose every count is a JSON integer of 0 or more and whose text fields are strings (or null) is decoded
into the structs below by msgspec and turned into :class:`UsageRow` without a per-field Python call. Anything
else (a count as a string or a float, a negative one, an unexpected type, an error object, invalid JSON) fails
that decoding and goes through :func:`finops.usage.normalize.page_rows`, which accepts the contract's lenient
forms and names what breaks it. Both give the same rows for the same page (``test_usage_page_schema``).
Measured in docs/performance.md (issue 25): about a third of the generic path's CPU for a team's usage pages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from finops.costs.models import UNASSIGNED
from finops.usage.models import UsageRow
from finops.usage.normalize import OPENAI_UNITS, TOOL_CALLS, UsageShapeError

Count = Annotated[int, msgspec.Meta(ge=0)]


class _Result(msgspec.Struct, gc=False):
    """One result of any OpenAI usage endpoint: the grouping fields, the token counts and the non-token units."""

    project_id: str | None = None
    api_key_id: str | None = None
    model: str | None = None
    service_tier: str | None = None
    batch: bool | None = None
    num_model_requests: Count | None = None
    input_tokens: Count | None = None
    input_cached_tokens: Count | None = None
    input_cache_write_tokens: Count | None = None
    input_uncached_tokens: Count | None = None
    input_audio_tokens: Count | None = None
    output_tokens: Count | None = None
    output_audio_tokens: Count | None = None
    images: Count | None = None
    characters: Count | None = None
    seconds: Count | None = None
    usage_bytes: Count | None = None
    num_sessions: Count | None = None
    sessions: Count | None = None
    num_requests: Count | None = None


class _Bucket(msgspec.Struct, gc=False):
    start_time: int
    results: list[_Result] | None = None


class _Page(msgspec.Struct, gc=False):
    data: list[_Bucket]
    has_more: Any = None
    next_page: Any = None


DECODER = msgspec.json.Decoder(_Page)
_new_row = tuple.__new__  # what UsageRow._make does, without its per-row length check and call


def openai_page_rows(endpoint: str, body: bytes) -> tuple[list[UsageRow], bool, str | None] | None:
    """The page's rows, ``has_more`` and ``next_page``, or None when the page is not in the common form (then
    :func:`finops.usage.normalize.page_rows` reads it, or says what is wrong)."""
    try:
        page = DECODER.decode(body)
        rows = _rows(endpoint, page.data)
    except (msgspec.MsgspecError, UsageShapeError, OverflowError, OSError, ValueError):
        return None
    next_page = page.next_page
    return rows, bool(page.has_more), None if next_page in (None, "") else str(next_page)


def _day(start_time: int) -> date:
    return datetime.fromtimestamp(start_time, UTC).date()


def _rows(endpoint: str, buckets: list[_Bucket]) -> list[UsageRow]:
    rows: list[UsageRow] = []
    append = rows.append
    unit = OPENAI_UNITS.get(endpoint)
    tool = endpoint in TOOL_CALLS
    for bucket in buckets:
        day = _day(bucket.start_time)
        for r in bucket.results or ():
            requests = None if tool else r.num_model_requests
            head = (day, r.project_id or UNASSIGNED, endpoint, r.api_key_id or None, r.model or None,
                    r.service_tier or None, r.batch, None, requests)
            if unit is None:
                total = r.input_tokens or 0
                cached = r.input_cached_tokens or 0
                written = r.input_cache_write_tokens or 0
                uncached = r.input_uncached_tokens
                if uncached is None:
                    uncached = total - cached - written
                    if uncached < 0:
                        raise UsageShapeError("input below its cached parts")  # the generic path says it in full
                append(_new_row(UsageRow, (*head, uncached, cached, written, None, None, r.output_tokens or 0,
                                           r.input_audio_tokens or 0, r.output_audio_tokens or 0, None, None)))
            else:
                name, unit_name = unit
                value = getattr(r, name)
                if value is None and name == "num_sessions":
                    value = r.sessions
                append(_new_row(UsageRow, (*head, 0, 0, 0, None, None, 0, 0, 0,
                                           None if value is None else Decimal(value), unit_name)))
    return rows

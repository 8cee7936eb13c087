"""The OpenAI usage page as it nearly always comes, decoded in C straight into usage rows.

A page whose every count is a JSON integer of 0 or more and whose text fields are strings (or null) is decoded
into the structs below by msgspec and turned into :class:`UsageRow` without a per-field Python call. Anything
else (a count as a string or a float, a negative one, an unexpected type, an error object, invalid JSON) fails
that decoding and goes through :func:`finops.usage.normalize.page_rows`, which accepts the contract's lenient
forms and names what breaks it. Both give the same rows for the same page (``test_usage_page_schema``).
Measured in docs/performance.md (issue 25): about a third of the generic path's CPU for a team's usage pages.

A collection does not even build the rows of most days: :func:`openai_page_buckets` decodes only the page and its
buckets' days, and keeps each bucket's ``results`` as the JSON bytes the API sent (:class:`RawBucket`). The load
compares a digest of those bytes with the day's as last loaded (finops.usage.load) and decodes only the days that
changed (:func:`bucket_rows`: typed, else the lenient path, which names what breaks the contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from finops.costs.errors import CostsApiResponseError
from finops.costs.models import UNASSIGNED
from finops.usage.models import UsageRow
from finops.usage.normalize import OPENAI_UNITS, TOOL_CALLS, UsageShapeError, page_rows

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


class _RawBucket(msgspec.Struct, gc=False):
    start_time: int
    results: msgspec.Raw = msgspec.Raw(b"null")


class _RawPage(msgspec.Struct, gc=False):
    data: list[_RawBucket]
    has_more: Any = None
    next_page: Any = None


RAW_DECODER = msgspec.json.Decoder(_RawPage)
RESULTS_DECODER = msgspec.json.Decoder(list[_Result] | None)
_ANY = msgspec.json.Decoder()
_new_row = tuple.__new__  # what UsageRow._make does, without its per-row length check and call


@dataclass(frozen=True, slots=True)
class RawBucket:
    """One daily bucket of an OpenAI usage page, its results as the API sent them (JSON bytes, not yet decoded), and
    where it came from (for the contract's error message)."""

    usage_date: date
    start_time: int
    endpoint: str
    results: bytes
    source: str
    page: int


def openai_page_buckets(endpoint: str, body: bytes, *, source: str,
                        page: int) -> tuple[list[RawBucket], bool, str | None] | None:
    """The page's daily buckets with their results undecoded, ``has_more`` and ``next_page``; or None when the page
    itself is not in the common form (then :func:`finops.usage.normalize.page_rows` reads it, or says what is
    wrong)."""
    try:
        raw = RAW_DECODER.decode(body)
        buckets = [RawBucket(_day(b.start_time), b.start_time, endpoint,
                             bytes(b.results), source, page) for b in raw.data]
    except (msgspec.MsgspecError, OverflowError, OSError, ValueError):
        return None
    next_page = raw.next_page
    return buckets, bool(raw.has_more), None if next_page in (None, "") else str(next_page)


def bucket_rows(bucket: RawBucket) -> list[UsageRow]:
    """The rows of a bucket kept undecoded: typed in C when its results are in the common form, else by the lenient
    path, which raises :class:`CostsApiResponseError` naming the page when they break the contract."""
    try:
        return _bucket_rows(bucket.endpoint, bucket.usage_date, RESULTS_DECODER.decode(bucket.results))
    except (msgspec.MsgspecError, UsageShapeError, OverflowError, ValueError):
        pass
    try:
        body = {"data": [{"start_time": bucket.start_time, "results": _ANY.decode(bucket.results)}]}
        return page_rows("openai", bucket.endpoint, body)[0]
    except (msgspec.MsgspecError, UsageShapeError, TypeError, ValueError) as exc:
        raise contract_broken(bucket.source, bucket.page, exc) from None


def contract_broken(source: str, page: int, exc: Exception) -> CostsApiResponseError:
    """The error of a usage page off its contract (one sentence: what, where, and what to do)."""
    return CostsApiResponseError(
        f"{source}'s page {page} does not match the contract ({exc}); nothing from this window was kept, check for a "
        "proxy between Airflow and the API or report the API change."
    )


def openai_page_rows(endpoint: str, body: bytes) -> tuple[list[UsageRow], bool, str | None] | None:
    """The page's rows at once, typed (what a load builds day by day from :func:`openai_page_buckets`),
    ``has_more`` and ``next_page``; None when the page or a bucket's results are not in the common form."""
    page = openai_page_buckets(endpoint, body, source="", page=0)
    if page is None:
        return None
    buckets, has_more, next_page = page
    try:
        rows = [row for b in buckets for row in _bucket_rows(endpoint, b.usage_date, RESULTS_DECODER.decode(b.results))]
    except (msgspec.MsgspecError, UsageShapeError, OverflowError, ValueError):
        return None
    return rows, has_more, next_page


def _day(start_time: int) -> date:
    return datetime.fromtimestamp(start_time, UTC).date()


def _bucket_rows(endpoint: str, day: date, results: list[_Result] | None) -> list[UsageRow]:
    rows: list[UsageRow] = []
    append = rows.append
    unit = OPENAI_UNITS.get(endpoint)
    tool = endpoint in TOOL_CALLS
    for r in results or ():
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

"""Decoding API bodies: exact amounts from the JSON text (never through float), one sentence per problem.

A page's contract is written once, as msgspec structs (:mod:`finops.costs.page_schema` for OpenAI,
:mod:`finops.costs.anthropic_report` for Anthropic); :func:`decode_page_body` decodes a body with it
and turns whatever does not fit into a sentence naming the page and the JSON path of the problem.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from finops.costs.errors import CostsApiResponseError, IncompleteJsonBody
from finops.costs.models import CostsPage, Project
from finops.redaction import scrub

__all__ = ["decode_page_body", "describe_body", "load_json", "parse_costs_page", "parse_project", "schema_error",
           "scrub"]

T = TypeVar("T")


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


def _not_json(text: str, *, what: str, status: int | None, content_type: str | None, source: str,
              conn_id: str, cut: bool = False) -> CostsApiResponseError:
    """The error for a body that is not JSON; ``cut``: a JSON document that stops early (retried by the client)."""
    received = describe_body(text, status=status, content_type=content_type)
    message = (f"{source} sent {what} that is not valid JSON ({received}); check that the `{conn_id}` "
               "connection points at the API and that no proxy is rewriting or cutting responses.")
    if cut:
        return IncompleteJsonBody(message, received=received, status=status)
    return CostsApiResponseError(message, status=status)


def load_json(text: str, *, what: str, status: int | None = None, content_type: str | None = None,
              source: str = "The OpenAI API", conn_id: str = "openai_api") -> Any:
    """Decode a response body with exact decimals; an undecodable body names what was received."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except ValueError:
        raise _not_json(text, what=what, status=status, content_type=content_type, source=source,
                        conn_id=conn_id) from None


def schema_error(source: str, page: int, problem: str) -> CostsApiResponseError:
    """A page that does not match its contract: nothing of the window is kept."""
    return CostsApiResponseError(
        f"{source}'s page {page} does not match the contract ({problem}); nothing from this window "
        "was kept, check for a proxy between Airflow and the API or report the API change."
    )


def error_object(source: str, page: int, error: Any) -> CostsApiResponseError:
    """A 200 whose body is an error object."""
    error = error if isinstance(error, dict) else {"message": str(error)}
    return CostsApiResponseError(
        f"{source} answered page {page} with HTTP 200 but an error object "
        f"(type {error.get('type')!s}, message {scrub(str(error.get('message')))[:100]!r}); "
        "nothing from this window was kept, run it again later."
    )


def _where(message: str) -> str:
    """msgspec's ``Expected `str`, got `int` - at `$.data[0].x` `` as ``at `data[0].x`: expected `str`, got `int` ``."""
    problem, _, path = message.partition(" - at ")
    problem = problem[:1].lower() + problem[1:]
    return f"at {path.replace('`$.', '`')}: {problem}" if path else f"the body: {problem}"


def decode_page_body(decoder: msgspec.json.Decoder[T], body: str | bytes, *, source: str, page: int, what: str,
                     status: int | None, content_type: str | None, conn_id: str) -> T:
    """``body`` decoded with a page contract; invalid JSON or a mismatch raise one sentence naming the spot."""
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise schema_error(source, page, _where(str(exc))) from None
    except msgspec.DecodeError as exc:
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
        # msgspec tells a document that stops early ("Input data was truncated", an empty body included)
        # from one that is malformed (an HTML page, NaN, trailing bytes).
        raise _not_json(text, what=what, status=status, content_type=content_type, source=source,
                        conn_id=conn_id, cut="truncated" in str(exc)) from None


def parse_costs_page(
    body: str | bytes, *, page: int, status: int | None = 200, content_type: str | None = "application/json"
) -> CostsPage:
    """One OpenAI Costs API page from its body, or one sentence naming what breaks the contract."""
    from finops.costs.page_schema import decode_page

    return decode_page(body, page=page, status=status, content_type=content_type)


def _timestamp(value: Any) -> Any:
    from datetime import UTC, datetime

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

"""Fetching usage on the cost clients' core: the same connection, retries, errors, redaction and paginator.

The functions take the provider's cost client (:class:`finops.costs.client.CostsClient` or
:class:`finops.costs.anthropic.AnthropicClient`) and call its shared ``get``; nothing here knows a key
beyond passing it on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime

import msgspec

from finops.costs.http import ApiClient, RequestStats
from finops.costs.pagination import CursorPaginator
from finops.costs.parsing import decode_page_body
from finops.usage.models import ANTHROPIC_ENDPOINTS, UsageRow
from finops.usage.normalize import UsageShapeError, page_rows
from finops.usage.page_schema import RawBucket, bucket_rows, contract_broken, openai_page_buckets

#: ``group_by`` per OpenAI endpoint: every field it allows that the usage table keeps.
OPENAI_GROUP_BY = {
    "completions": ("project_id", "model", "api_key_id", "batch", "service_tier"),
    "embeddings": ("project_id", "model", "api_key_id"),
    "moderations": ("project_id", "model", "api_key_id"),
    "images": ("project_id", "model", "api_key_id"),
    "audio_speeches": ("project_id", "model", "api_key_id"),
    "audio_transcriptions": ("project_id", "model", "api_key_id"),
    "vector_stores": ("project_id",),
    "code_interpreter_sessions": ("project_id",),
    # Also allowed: ``user_id``, ``context_level`` (web search) and ``vector_store_id`` (file search); not kept.
    "web_search_calls": ("project_id", "model", "api_key_id"),
    "file_search_calls": ("project_id", "api_key_id"),
}
ANTHROPIC_GROUP_BY = ("workspace_id", "model", "api_key_id", "service_tier", "context_window")
#: Daily buckets per page: the usage endpoints' maximum for ``bucket_width=1d``.
MAX_LIMIT = 31
#: Usage pages are decoded as plain JSON (counts are integers) and checked by finops.usage.normalize.
_ANY = msgspec.json.Decoder()


@dataclass(slots=True)
class UsageFetch:
    """What one team's usage fetch brought back: rows, pages and requests (for the log and the run record).

    OpenAI pages in the common form give ``buckets`` (their results decoded only if their day changed,
    finops.usage.load); any other page gives ``rows``, decoded and checked at once."""

    rows: list[UsageRow] = field(default_factory=list)
    buckets: list[RawBucket] = field(default_factory=list)
    pages: int = 0
    stats: RequestStats = field(default_factory=RequestStats)
    #: Rows of scopes the team has not registered (Anthropic's report covers the whole organization).
    skipped: int = 0

    def decoded_rows(self) -> list[UsageRow]:
        """Every row, the buckets decoded too (a load decodes only its changed days' buckets)."""
        return self.rows + [row for bucket in self.buckets for row in bucket_rows(bucket)]


def _midnight(day: date) -> int:
    return int(datetime.combine(day, dtime(0), tzinfo=UTC).timestamp())


def _pages(client: ApiClient, key: str, path: str, query: list[tuple[str, str]], fetch: UsageFetch, *,
           endpoint: str, source: str) -> Iterator[UsageRow]:
    paginator = CursorPaginator(source=source)
    while paginator.has_next_page:
        params = query + ([("page", paginator.cursor)] if paginator.cursor else [])
        page_no = paginator.pages + 1
        what = f"{source} page {page_no}"

        def decode(response, what=what, page_no=page_no):
            if client.provider == "openai":  # the common form, in C; else (or off it) the lenient path below
                fast = openai_page_buckets(endpoint, response.content, source=source, page=page_no)
                if fast is not None:
                    return [], *fast
            # A body cut on the way raises IncompleteJsonBody, which the client fetches again (like a cost page).
            body = decode_page_body(_ANY, response.content, source=source, page=page_no, what=what,
                                    status=response.status_code, content_type=response.headers.get("Content-Type"),
                                    conn_id=client.conn_id)
            try:
                rows, has_more, next_page = page_rows(client.provider, endpoint, body)
                return rows, [], has_more, next_page
            except (UsageShapeError, TypeError, ValueError) as exc:
                raise contract_broken(source, page_no, exc) from None

        rows, buckets, has_more, next_page = client.get(key, path, params, stats=fetch.stats, what=what,
                                                        decode=decode)
        paginator.update(has_more, next_page)
        fetch.pages = fetch.pages + 1
        fetch.buckets += buckets
        yield from rows


def openai_usage(client: ApiClient, api_key: str, start: date, end: date, project_ids: Sequence[str],
                 endpoints: Sequence[str], stats: RequestStats | None = None) -> UsageFetch:
    """The team's usage of each endpoint for the UTC days ``[start, end)``, filtered to its projects.

    ``stats`` (the cost stream's) counts the usage requests and retries with the costs'.
    """
    key = client.check_key(api_key)
    fetch = UsageFetch(stats=stats or RequestStats())
    ids = list(dict.fromkeys(project_ids))
    if not ids:
        return fetch
    for endpoint in endpoints:
        query = [("start_time", str(_midnight(start))), ("end_time", str(_midnight(end))), ("bucket_width", "1d"),
                 ("limit", str(MAX_LIMIT))]
        query += [("group_by[]", g) for g in OPENAI_GROUP_BY[endpoint]]
        query += [("project_ids[]", pid) for pid in ids]
        fetch.rows.extend(_pages(client, key, f"/v1/organization/usage/{endpoint}", query, fetch,
                                 endpoint=endpoint, source=f"The OpenAI {endpoint} usage endpoint"))
    return fetch


def anthropic_usage(client: ApiClient, api_key: str, start: date, end: date, workspace_ids: Sequence[str],
                    endpoints: Sequence[str] = ANTHROPIC_ENDPOINTS, stats: RequestStats | None = None) -> UsageFetch:
    """The message usage of the team's registered workspaces (``default`` included) for ``[start, end)``.

    Fetched for the organization grouped by workspace (the default workspace cannot be filtered on) and kept
    per registered workspace, like the costs.
    """
    key = client.check_key(api_key)
    fetch = UsageFetch(stats=stats or RequestStats())
    wanted = set(workspace_ids)
    if not wanted or "messages" not in endpoints:
        return fetch
    query = [("starting_at", f"{start.isoformat()}T00:00:00Z"), ("ending_at", f"{end.isoformat()}T00:00:00Z"),
             ("bucket_width", "1d"), ("limit", str(MAX_LIMIT))]
    query += [("group_by[]", g) for g in ANTHROPIC_GROUP_BY]
    for row in _pages(client, key, "/v1/organizations/usage_report/messages", query, fetch, endpoint="messages",
                      source="The Anthropic usage report"):
        if row.project_id in wanted:
            fetch.rows.append(row)
        else:
            fetch.skipped += 1
    return fetch

"""The OpenAI Costs API client on the ``openai_api`` connection; the Admin key is passed per call, never kept.

Transport, retries and errors are :class:`finops.costs.http.ApiClient`'s (shared with Anthropic);
this module holds only OpenAI's headers and endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from datetime import time as dtime

from finops.costs.errors import CostsApiResponseError, OpenAIProjectNotFound
from finops.costs.http import (
    RETRY_STATUSES,
    USER_AGENT,
    ApiClient,
    ClientSettings,
    CostStream,
    RequestStats,
)
from finops.costs.models import CostRow, Project
from finops.costs.pagination import CursorPaginator
from finops.costs.parsing import describe_body, parse_costs_page, parse_project
from finops.errors import UsageError
from finops.providers import OPENAI, PROVIDERS

__all__ = ["DEFAULT_BASE_URL", "RETRY_STATUSES", "ClientSettings", "CostStream", "CostsClient", "RequestStats"]

DEFAULT_BASE_URL = PROVIDERS[OPENAI].default_base_url


def _midnight(day: date) -> int:
    return int(datetime.combine(day, dtime(0), tzinfo=UTC).timestamp())


def check_window(start: date, end: date) -> None:
    """A cost window is UTC dates ``[start, end)`` with the end after the start."""
    if isinstance(start, datetime) or isinstance(end, datetime):
        raise UsageError("Pass the cost window as dates (UTC days), not datetimes.")
    if end <= start:
        raise UsageError(f"The cost window ends ({end}) on or before it starts ({start}); pass an end after the start.")


class CostsClient(ApiClient):
    """Calls OpenAI's organization admin endpoints with bounded, jittered retries."""

    provider = OPENAI

    def __init__(self, conn_id: str = "openai_api", **kwargs) -> None:
        super().__init__(conn_id, **kwargs)

    def headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}", "Accept": "application/json", "User-Agent": USER_AGENT}

    def not_found(self, what: str, scope_id: str | None) -> Exception | None:
        return OpenAIProjectNotFound(scope_id) if scope_id is not None else None

    def costs(
        self, api_key: str, start: date, end: date, project_ids: Sequence[str] | None, *, limit: int = 180,
        by_api_key: bool = True,
    ) -> CostStream:
        """Daily cost rows for the UTC dates ``[start, end)``; ``project_ids=None`` means the whole org.

        Grouped by project, line item and (``by_api_key``) API key: a row per key that spent, ``api_key_id``
        None for cost without one. An empty ``project_ids`` yields nothing (a team with no registered project
        has no cost).
        """
        check_window(start, end)
        if isinstance(project_ids, str):
            raise UsageError("Pass project IDs as a list, not a single string.")
        key = self.check_key(api_key)
        query: list[tuple[str, str]] = [
            ("start_time", str(_midnight(start))),
            ("end_time", str(_midnight(end))),
            ("bucket_width", "1d"),
            ("group_by[]", "project_id"),
            ("group_by[]", "line_item"),
            *([("group_by[]", "api_key_id")] if by_api_key else []),
            ("limit", str(limit)),
        ]
        ids = list(dict.fromkeys(project_ids)) if project_ids is not None else None
        query += [("project_ids[]", pid) for pid in ids or ()]

        def pages(stream: CostStream) -> Iterator[CostRow]:
            if ids == []:
                return
            paginator = CursorPaginator()
            while paginator.has_next_page:
                params = query + ([("page", paginator.cursor)] if paginator.cursor else [])
                page_no = paginator.pages + 1
                # Decoded inside the retry loop: a body cut on the way is fetched again. The response is
                # dropped once decoded, so one page is in memory, not two, while the next one is fetched.
                page = self.get(key, "/v1/organization/costs", params, stats=stream.stats,
                                what=f"Costs API page {page_no}",
                                decode=lambda r, n=page_no: parse_costs_page(
                                    r.content, page=n, status=r.status_code,
                                    content_type=r.headers.get("Content-Type")))
                paginator.update(page.has_more, page.next_page)
                stream.pages = paginator.pages
                rows, page = page.rows, None
                yield from rows
                del rows

        return CostStream(pages)

    def projects(self, api_key: str, *, limit: int = 1, include_archived: bool = False) -> list[Project]:
        """The first ``limit`` projects of the key's organization (``limit=1`` is the cheap key check)."""
        key = self.check_key(api_key)
        params = [("limit", str(limit))] + ([("include_archived", "true")] if include_archived else [])
        response = self.get(key, "/v1/organization/projects", params, stats=RequestStats(), what="the project list")
        body = self.json(response, what="the project list")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            received = describe_body(response.text, status=response.status_code,
                                     content_type=response.headers.get("Content-Type"))
            raise CostsApiResponseError(
                f"The projects endpoint sent no `data` list ({received}); "
                "check that the `openai_api` connection points at the OpenAI API."
            )
        return [parse_project(p) for p in data]

    def project(self, api_key: str, project_id: str) -> Project:
        """One project of the key's organization; :class:`OpenAIProjectNotFound` if it is not there."""
        key = self.check_key(api_key)
        PROVIDERS[OPENAI].check_scope_id(project_id)
        response = self.get(key, f"/v1/organization/projects/{project_id}", [], stats=RequestStats(),
                            what=f"project {project_id}", scope_id=project_id)
        return parse_project(self.json(response, what=f"project {project_id}"))

    def verify_key(self, api_key: str) -> None:
        """Raise :class:`AdminKeyRejected` or :class:`AdminKeyLacksScope` unless the key can read the org."""
        self.projects(api_key, limit=1)

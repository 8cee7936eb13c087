"""The Anthropic Admin API client on the ``anthropic_api`` connection: the cost report and the workspace list.

Transport, retries and errors are :class:`finops.costs.http.ApiClient`'s (shared with OpenAI). The
cost report cannot be filtered by workspace, so it is fetched for the whole organization grouped by
``workspace_id`` and ``description``; rows of the team's registered workspaces are yielded, and the
rest is accounted per workspace in the stream's ``skipped`` (an admin must notice a missing workspace).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal

from finops.costs.anthropic_report import WorkspacePage, decode_cost_report, decode_workspaces
from finops.costs.client import check_window
from finops.costs.errors import AnthropicWorkspaceNotFound
from finops.costs.http import USER_AGENT, ApiClient, CostStream, RequestStats
from finops.costs.models import CostRow, Workspace
from finops.costs.pagination import CursorPaginator
from finops.errors import UsageError
from finops.money import exact, exact_sum
from finops.providers import ANTHROPIC, DEFAULT_WORKSPACE, PROVIDERS

API_VERSION = "2023-06-01"
#: Buckets per cost report page, at most 31 (a year is 12 pages).
MAX_LIMIT = 31
#: Workspaces per list page, at most 1000.
MAX_WORKSPACES_LIMIT = 1000


def rfc3339(day: date) -> str:
    """Midnight UTC of ``day`` as RFC 3339, the cost report's bound format."""
    return f"{day.isoformat()}T00:00:00Z"


class AnthropicClient(ApiClient):
    """Calls Anthropic's organization admin endpoints (``x-api-key``, ``anthropic-version``) with shared retries."""

    provider = ANTHROPIC

    def __init__(self, conn_id: str = "anthropic_api", **kwargs) -> None:
        super().__init__(conn_id, **kwargs)

    def headers(self, api_key: str) -> dict[str, str]:
        return {"x-api-key": api_key, "anthropic-version": API_VERSION, "Accept": "application/json",
                "User-Agent": USER_AGENT}

    def costs(
        self, api_key: str, start: date, end: date, workspace_ids: Sequence[str] | None, *, limit: int = MAX_LIMIT
    ) -> CostStream:
        """Daily cost rows for the UTC dates ``[start, end)`` of the registered ``workspace_ids`` (``default`` included).

        ``workspace_ids=None`` keeps every workspace; an empty list yields nothing and sends no request.
        Whatever belongs to another workspace is left out and summed in ``stream.skipped``.
        """
        check_window(start, end)
        if isinstance(workspace_ids, str):
            raise UsageError("Pass workspace IDs as a list, not a single string.")
        if not 1 <= limit <= MAX_LIMIT:
            raise UsageError(f"The cost report's limit is 1 to {MAX_LIMIT} days per page (got {limit}).")
        key = self.check_key(api_key)
        spec = PROVIDERS[ANTHROPIC]
        wanted = None if workspace_ids is None else {spec.check_scope_id(w) for w in workspace_ids}
        query: list[tuple[str, str]] = [
            ("starting_at", rfc3339(start)),
            ("ending_at", rfc3339(end)),
            ("bucket_width", "1d"),
            ("group_by[]", "workspace_id"),
            ("group_by[]", "description"),
            ("limit", str(limit)),
        ]

        def pages(stream: CostStream) -> Iterator[CostRow]:
            if wanted is not None and not wanted:
                return
            paginator = CursorPaginator(source="The Anthropic cost report")
            while paginator.has_next_page:
                params = query + ([("page", paginator.cursor)] if paginator.cursor else [])
                page_no = paginator.pages + 1
                page = self.get(key, "/v1/organizations/cost_report", params, stats=stream.stats,
                                what=f"cost report page {page_no}",
                                decode=lambda r, n=page_no: decode_cost_report(
                                    r.content, page=n, status=r.status_code,
                                    content_type=r.headers.get("Content-Type")))
                paginator.update(page.has_more, page.next_page)
                stream.pages = paginator.pages
                rows, page = page.rows, None
                for row in rows:
                    if wanted is None or row.project_id in wanted:
                        yield row
                    else:
                        with exact():  # the stream adds it up: exactly, whatever the caller's context
                            stream.skip(row.project_id, row.currency, row.amount)
                del rows

        return CostStream(pages)

    cost_report = costs

    def workspaces(self, api_key: str, *, limit: int = 20, include_archived: bool = False,
                   after_id: str | None = None, page: int = 1) -> WorkspacePage:
        """One page of the organization's workspaces (``limit=1`` is the cheap key check)."""
        key = self.check_key(api_key)
        params = [("limit", str(limit))]
        params += [("include_archived", "true")] if include_archived else []
        params += [("after_id", after_id)] if after_id else []
        response = self.get(key, "/v1/organizations/workspaces", params, stats=RequestStats(),
                            what="the workspace list")
        return decode_workspaces(response.content, page=page, status=response.status_code,
                                 content_type=response.headers.get("Content-Type"))

    def workspace(self, api_key: str, workspace_id: str) -> Workspace:
        """One workspace of the key's organization (archived ones included); ``default`` checks the key only.

        Raises :class:`AnthropicWorkspaceNotFound` when the ID is not among the organization's workspaces.
        """
        PROVIDERS[ANTHROPIC].check_scope_id(workspace_id)
        if workspace_id == DEFAULT_WORKSPACE:
            self.verify_key(api_key)
            return Workspace(id=DEFAULT_WORKSPACE, name="Default workspace", archived_at=None, created_at=None)
        paginator = CursorPaginator(source="The Anthropic workspace list", cursor_field="last_id")
        while paginator.has_next_page:
            page = self.workspaces(api_key, limit=MAX_WORKSPACES_LIMIT, include_archived=True,
                                   after_id=paginator.cursor, page=paginator.pages + 1)
            for workspace in page.workspaces:
                if workspace.id == workspace_id:
                    return workspace
            paginator.update(page.has_more, page.last_id)
        raise AnthropicWorkspaceNotFound(workspace_id)

    def verify_key(self, api_key: str) -> None:
        """Raise :class:`AdminKeyRejected` or :class:`AdminKeyLacksScope` unless the key can read the organization."""
        self.workspaces(api_key, limit=1)


def skipped_total(stream: CostStream) -> Decimal:
    """Everything a stream left out for unregistered workspaces, in all currencies (all USD today)."""
    return exact_sum(s.amount for s in stream.skipped.values())

"""Cursor pagination with loop detection, as a small stateful object shared by every provider's endpoints."""

from __future__ import annotations

from finops.costs.errors import PaginationError


class CursorPaginator:
    """Follows an opaque cursor until ``has_more`` is false; a repeated or missing cursor is an error.

    ``source`` and ``cursor_field`` only word the errors: ``The Costs API`` and ``next_page`` for
    OpenAI's costs, ``The Anthropic cost report`` and ``next_page``, or a list endpoint's ``last_id``.
    """

    def __init__(self, max_pages: int = 10_000, *, source: str = "The Costs API",
                 cursor_field: str = "next_page") -> None:
        self.max_pages = max_pages
        self.source = source
        self.cursor_field = cursor_field
        self.pages = 0
        self.cursor: str | None = None
        self.has_next_page = True
        self._seen: set[str] = set()

    def update(self, has_more: bool, next_page: str | None) -> None:
        """Record one received page and decide whether (and with which cursor) to fetch the next."""
        self.pages += 1
        if not has_more:
            self.has_next_page, self.cursor = False, None
            return
        if not next_page:
            raise PaginationError(
                f"{self.source} said page {self.pages} has more results but sent no `{self.cursor_field}` cursor; "
                "nothing was kept from this window, run it again and report the API change if it persists."
            )
        if next_page in self._seen:
            raise PaginationError(
                f"{self.source} sent page {self.pages} the same `{self.cursor_field}` cursor as an earlier page, "
                "which would loop forever; nothing was kept from this window, run it again later."
            )
        if self.pages >= self.max_pages:
            raise PaginationError(
                f"{self.source} still had more results after {self.pages} pages; "
                "split the window into shorter ranges and run them one at a time."
            )
        self._seen.add(next_page)
        self.cursor = next_page

"""The cursor paginator from hand-built page sequences: end, null cursor, repeated cursor."""

from __future__ import annotations

import pytest

from finops.costs.errors import PaginationError
from finops.costs.pagination import CursorPaginator


def test_single_page_ends_without_cursor():
    p = CursorPaginator()
    assert p.has_next_page and p.cursor is None
    p.update(False, None)
    assert not p.has_next_page and p.pages == 1 and p.cursor is None


def test_follows_cursors_until_has_more_is_false():
    p = CursorPaginator()
    p.update(True, "page_a")
    assert p.has_next_page and p.cursor == "page_a"
    p.update(True, "page_b")
    assert p.cursor == "page_b"
    p.update(False, "ignored-when-done")
    assert not p.has_next_page and p.pages == 3


@pytest.mark.parametrize("cursor", [None, ""])
def test_has_more_without_cursor_is_an_error(cursor):
    p = CursorPaginator()
    with pytest.raises(PaginationError, match="page 1 has more results but sent no `next_page`"):
        p.update(True, cursor)


def test_repeated_cursor_is_an_error_not_a_loop():
    p = CursorPaginator()
    p.update(True, "page_a")
    p.update(True, "page_b")
    with pytest.raises(PaginationError, match="page 3 the same `next_page` cursor"):
        p.update(True, "page_a")


def test_page_cap_stops_runaway_pagination():
    p = CursorPaginator(max_pages=3)
    p.update(True, "c1")
    p.update(True, "c2")
    with pytest.raises(PaginationError, match="after 3 pages"):
        p.update(True, "c3")


def test_pagination_error_is_a_response_error_and_not_retryable():
    from finops.costs.errors import CostsApiResponseError

    assert issubclass(PaginationError, CostsApiResponseError)
    assert PaginationError("x").retryable is False

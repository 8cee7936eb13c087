"""The one read rule's team question: ``Access.sees`` and ``require_team`` (the hook scoped access narrows)."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from finops.web.security import Access, require_team

pytestmark = pytest.mark.unit


def test_every_team_is_seen_until_access_is_narrowed():
    everyone = Access(user=None, name="viewer", can_manage=False)
    assert everyone.sees("growth") and require_team("growth", everyone) is everyone


def test_a_team_outside_the_users_teams_is_a_404_like_an_unknown_one():
    member = Access(user=None, name="lead", can_manage=False, teams=frozenset({"growth"}))
    assert require_team("growth", member) is member
    with pytest.raises(HTTPException) as refused:
        require_team("search", member)
    assert refused.value.status_code == 404 and "is not registered" in refused.value.detail

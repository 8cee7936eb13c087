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


def test_a_manager_sets_its_own_teams_budgets_and_channels_only():
    from finops.web.security import require_team_manager

    mgr = Access(user=None, name="mgr", can_manage=False, teams=frozenset({"growth", "search"}),
                 managed=frozenset({"growth"}))
    assert require_team_manager("growth", mgr) is mgr and mgr.changes_anything
    with pytest.raises(HTTPException) as refused:
        require_team_manager("search", mgr)  # a reader there: seen, so 403
    assert refused.value.status_code == 403 and "manager role" in refused.value.detail
    with pytest.raises(HTTPException) as hidden:
        require_team("ads", mgr)  # not seen: 404 before any permission question
    assert hidden.value.status_code == 404
    assert mgr.team_filter() == ["growth", "search"] and not mgr.in_no_team


def test_nobody_in_no_team_sees_nothing_and_changes_nothing():
    nobody = Access(user=None, name="outsider", can_manage=False, teams=frozenset())
    assert nobody.in_no_team and nobody.team_filter() == [] and not nobody.changes_anything
    assert not nobody.manages("growth") and not nobody.sees("growth")
    admin = Access(user=None, name="admin", can_manage=True)
    assert admin.manages("any") and admin.team_filter() is None and not admin.in_no_team

"""The one access function: every kind of user, the variable's forms, and the auth managers' user objects."""

from __future__ import annotations

import pytest

from finops.showback.access import AirflowIdentity, ScopeKind, identity_of, parse_readers, scope_for

MEMBERS = {"growth": "manager", "search": "reader"}


def scope(username, roles=(), *, admin=False, readers=None, memberships=None):
    return scope_for(AirflowIdentity(username, tuple(roles)), may_edit_connections=admin, all_teams_readers=readers,
                     memberships=memberships if memberships is not None else {})


def test_an_admin_sees_and_manages_every_team_whatever_else_holds():
    found = scope("admin", ["Admin"], admin=True, readers="admin", memberships={"growth": "reader"})
    assert found.kind is ScopeKind.ALL_MANAGE and found.sees_all
    assert found.can_see("any-team") and found.can_manage("any-team") and found.can_manage_keys("any-team")
    assert found.team_filter() is None


@pytest.mark.parametrize("readers", ["finance_lead", '["finance_lead"]', "ops, finance_lead", ["finance_lead"],
                                     "user:finance_lead"])
def test_a_user_named_in_the_variable_reads_every_team_and_manages_none(readers):
    found = scope("finance_lead", ["Viewer"], readers=readers, memberships=MEMBERS)
    assert found.kind is ScopeKind.ALL_READ
    assert found.can_see("growth") and found.can_see("other")
    assert not found.can_manage("growth") and not found.can_manage_keys("growth")


@pytest.mark.parametrize("readers", ["Finance", "finance", "role:Finance", '["role:FINANCE", "x"]'])
def test_a_fab_role_named_in_the_variable_reads_every_team(readers):
    assert scope("jane", ["Viewer", "Finance"], readers=readers).kind is ScopeKind.ALL_READ


def test_a_role_prefix_never_matches_a_username_nor_a_user_prefix_a_role():
    assert scope("Finance", ["Viewer"], readers="role:Finance").kind is ScopeKind.NONE
    assert scope("jane", ["Finance"], readers="user:Finance").kind is ScopeKind.NONE


def test_a_member_sees_only_its_teams_and_manages_where_it_is_manager():
    found = scope("jane", ["Viewer"], readers="finance_lead", memberships=MEMBERS)
    assert found.kind is ScopeKind.TEAMS
    assert found.visible(["ads", "growth", "search"]) == ["growth", "search"]
    assert not found.can_see("ads")
    assert found.can_manage("growth") and not found.can_manage("search") and not found.can_manage("ads")
    assert not found.can_manage_keys("growth")  # a manager sets budgets and channels, never keys
    assert found.team_filter() == ["growth", "search"]


def test_a_user_of_no_team_sees_nothing():
    found = scope("nobody", ["Viewer"], readers="")
    assert found.kind is ScopeKind.NONE and not found.sees_all
    assert found.visible(["growth"]) == [] and found.team_filter() == []
    assert not found.can_see("growth") and not found.can_manage("growth")


def test_an_unknown_role_in_memberships_reads_only():
    assert not scope("jane", memberships={"growth": "owner"}).can_manage("growth")


def test_the_variable_forms():
    assert parse_readers(None) == (frozenset(), frozenset())
    assert parse_readers(" a , ,b ") == ({"a", "b"}, {"a", "b"})
    assert parse_readers('["user:Ann", "role:Fin"]') == ({"Ann"}, {"fin"})
    assert parse_readers("[broken") == ({"broken"}, {"broken"})


class SimpleUser:  # the attributes of airflow's SimpleAuthManagerUser
    def __init__(self, username, role):
        self.username, self.role = username, role

    def get_name(self):
        return self.username


class Role:
    def __init__(self, name):
        self.name = name


class FabUser:  # the attributes of the FAB provider's User
    def __init__(self, username, roles):
        self.username, self.roles = username, [Role(r) for r in roles]

    def get_name(self):
        return self.username


def test_identity_of_both_auth_managers_users():
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    assert identity_of(SimpleAuthManagerUser(username="viewer", role="viewer")) == AirflowIdentity("viewer", ("viewer",))
    assert identity_of(SimpleUser("ann", None)) == AirflowIdentity("ann", ())
    assert identity_of(FabUser("jane", ["Viewer", "Finance"])) == AirflowIdentity("jane", ("Viewer", "Finance"))


def test_identity_of_the_fab_auth_managers_own_user_model():
    from airflow.providers.fab.auth_manager.models import Role as FabRole
    from airflow.providers.fab.auth_manager.models import User

    user = User(username="jane", email="jane@example.com", roles=[FabRole(name="Viewer"), FabRole(name="Finance")])
    identity = identity_of(user)
    assert identity == AirflowIdentity("jane", ("Viewer", "Finance"))
    assert scope_for(identity, may_edit_connections=False, all_teams_readers="role:finance",
                     memberships={}).kind is ScopeKind.ALL_READ

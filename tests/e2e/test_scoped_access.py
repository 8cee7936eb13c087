"""Scoped access through a real ``airflow api-server`` with the simple auth manager: every route of the FinOps app
(pages, JSON, CSV downloads, statement files, form posts, direct URLs of another team) as an admin, an all-teams
reader, a member reader, a team manager and a user in no team, signed in with tokens from ``POST /auth/token``.
The FAB auth manager's run of the same matrix is in tests/e2e/test_fab_auth_manager.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from access_matrix import KINDS, OTHER, OWN, calls, expected, form_data, seed, token_in

#: Each kind of user as the api-server fixture names them (tests/e2e/conftest.py).
USERS = {"admin": "admin", "all_teams_reader": "finance", "member": "lead", "manager": "mgr", "outsider": "outsider"}


def signed_in(base_url: str, user: str, password: str) -> requests.Session:
    """A browser-like session: the token of ``POST /auth/token`` in the UI's ``_token`` cookie."""
    response = requests.post(f"{base_url}/auth/token", json={"username": user, "password": password}, timeout=30)
    assert response.status_code in (200, 201), response.text
    session = requests.Session()
    session.cookies.set("_token", response.json()["access_token"], domain="127.0.0.1")
    return session


def run_matrix(base_url: str, sessions: dict[str, requests.Session], files) -> list[str]:
    """Every call of the matrix as every kind of user; the calls that answered otherwise than expected."""
    wrong = []
    matrix = calls(files)
    for kind in KINDS:
        session = sessions[kind]
        own = session.get(f"{base_url}/finops/teams/{OWN}", timeout=30)
        token = token_in(own.text)
        for call in matrix:
            url = f"{base_url}/finops{call.path}"
            if call.method == "GET":
                response = session.get(url, allow_redirects=False, timeout=60)
            else:
                response = session.post(url, data={**form_data(call), "csrf_token": token},
                                        headers={"Origin": base_url}, allow_redirects=False, timeout=60)
            if response.status_code != expected(kind, call):
                wrong.append(f"{kind} {call.name}: {response.status_code} (expected {expected(kind, call)}) "
                              f"{response.text[:120]!r}")
            elif response.status_code == 404 and call.team == OTHER and kind != "outsider":
                assert OTHER not in response.text.replace(f"Team {OTHER} is not registered", ""), call.name
    return wrong


@pytest.mark.timeout(900)
def test_every_route_as_each_kind_of_user_through_the_api_server(api_server, db, tmp_path):
    files = seed(db, datetime.now(UTC).date(), tmp_path / "statements")
    sessions = {kind: signed_in(api_server.base_url, user, api_server.passwords[user]) for kind, user in USERS.items()}
    wrong = run_matrix(api_server.base_url, sessions, files)
    assert not wrong, "\n".join(wrong)

    # What the pages hold, beyond the status: a member's list, overview and CSV name no other team.
    lead = sessions["member"]
    for path in ("/finops/", "/finops/overview", "/finops/overview/export.csv?group=team", "/finops/api/teams"):
        body = lead.get(f"{api_server.base_url}{path}", timeout=60).text
        assert OWN in body and OTHER not in body, path
    outsider = sessions["outsider"].get(f"{api_server.base_url}/finops/overview", timeout=60).text
    assert 'data-testid="no-team"' in outsider and OWN not in outsider

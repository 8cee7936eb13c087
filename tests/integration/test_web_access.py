"""One read rule for every FinOps route: every route of the app, called as a signed-in user without read access,
as a viewer and anonymously, through Airflow's own app (simple auth manager) with real PostgreSQL.

The routes are listed from the app itself, so a route added later is covered without editing this test.
"""
# ruff: noqa: F811 - the fixtures are imported from test_web_routes

from __future__ import annotations

import pytest
from test_web_routes import Browser, admin, airflow_app, services, tokens  # noqa: F401

pytestmark = pytest.mark.usefixtures("viewer_reads_every_team")

SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def finops_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the FinOps app, path parameters filled with a registered team."""
    from fastapi.routing import APIRoute

    from finops.web.app import create_app

    routes = []
    for route in create_app().routes:
        if isinstance(route, APIRoute):
            path = "/finops" + route.path.replace("{team_id}", "growth").replace("{month}", "2026-11").replace(
                "{file_name}", "statement-growth-2026-11-v1.csv").replace("{key_provider}", "openai").replace(
                "{api_key_id}", "key_x")
            routes += [(method, path) for method in sorted(route.methods)]
    return routes


ROUTES = finops_routes()


@pytest.fixture
def no_read(airflow_app, services) -> Browser:
    """A signed-in Airflow user the auth manager grants nothing (a JWT without a role)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    token = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="outsider", role=None))
    return Browser(airflow_app, token)


def call(browser: Browser, method: str, path: str):
    if method == "GET":
        return browser.client.get(path)
    return browser.client.post(path, data={"csrf_token": "x", "team_id": "other", "confirm": "on"},
                               headers=SAME_ORIGIN)


def test_the_app_has_the_routes_this_test_expects():
    paths = {p for _, p in ROUTES}
    assert {"/finops/", "/finops/teams/growth", "/finops/overview", "/finops/overview/teams/growth",
            "/finops/overview/export.csv", "/finops/api/teams", "/finops/teams/growth/key"} <= paths
    assert len(ROUTES) >= 14


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_refuses_a_user_without_read_access(no_read, admin, db, method, path):
    admin.submit("/teams", {"team_id": "growth", "name": "Growth"})
    response = call(no_read, method, path)
    assert response.status_code == 403, response.text
    assert "ask for read access" in response.json()["detail"]
    assert db.execute("SELECT count(*) FROM finops.teams").fetchone()[0] == 1


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_lets_a_viewer_read_and_nothing_more(airflow_app, tokens, admin, db, method, path):
    admin.submit("/teams", {"team_id": "growth", "name": "Growth"})
    viewer = Browser(airflow_app, tokens["viewer"])
    response = call(viewer, method, path)
    if method == "GET" and "/statements/" in path:  # growth has no statement: the download says so
        assert response.status_code == 404 and "No statement" in response.json()["detail"], response.text
    elif method == "GET":
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403, response.text
    assert db.execute("SELECT count(*) FROM finops.teams").fetchone()[0] == 1


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_refuses_an_anonymous_request(airflow_app, services, method, path):
    assert call(Browser(airflow_app, None), method, path).status_code == 401

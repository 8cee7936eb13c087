"""Fixtures of the integration tests that drive the FinOps app inside Airflow's API app (no server)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def finops_app(request):
    """Airflow's API app with the plugin; ``today`` pinned on the FinOps sub-app to the module's ``TODAY``."""
    from airflow.api_fastapi.app import create_app
    from starlette.routing import Mount

    from finops.web.routes.analytics import get_today

    today = request.module.TODAY
    app = create_app(apps="core")
    mounted = next(r.app for r in app.routes if isinstance(r, Mount) and r.path == "/finops")
    mounted.dependency_overrides[get_today] = lambda: today
    yield app
    mounted.dependency_overrides.clear()


@pytest.fixture(scope="module")
def tokens(finops_app):
    """JWTs minted by the simple auth manager for the admin and the viewer."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    manager = get_auth_manager()
    return {n: manager.generate_jwt(SimpleAuthManagerUser(username=n, role=n)) for n in ("admin", "viewer")}


@pytest.fixture
def viewer_reads_every_team(monkeypatch):
    """``viewer`` named in ``finops_all_teams_readers``: it reads every team (what the page tests' viewer stands for
    since scoped access; a member or a user in no team sees less, tests/integration/test_web_scoped_access.py)."""
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_ALL_TEAMS_READERS", "viewer")

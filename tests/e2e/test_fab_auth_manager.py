"""The FinOps page under the FAB auth manager: an Admin manages, an all-teams reader (by FAB role) reads, members
see their teams only, a Public user is refused; and every route as each kind of user (tests/access_matrix.py).

A real ``airflow api-server`` with ``FabAuthManager`` on a fresh metadata database of the embedded
PostgreSQL, users created through FAB's security manager as ``airflow users create`` does (roles Admin, Viewer,
Public, and a role ``Finance`` with the Viewer's permissions, named in ``finops_all_teams_readers`` as
``role:Finance``), tokens from FAB's ``POST /auth/token``. The same checks as the simple auth manager's tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from finops.devenv.local import generate_password, private_api_server_env
from finops.devenv.postgres import free_port
from finops.devenv.processes import Service, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
METADATA_DB = f"{os.environ.get('FINOPS_TEST_DB', 'finops_test')}_fab_airflow"
FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')
CREATE_USERS = """
import json, sys
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
from airflow.utils.providers_configuration_loader import providers_configuration_loaded


@providers_configuration_loaded
def create(users):
    with get_application_builder() as appbuilder:
        viewer, finance = appbuilder.sm.find_role("Viewer"), appbuilder.sm.add_role("Finance")
        for permission in viewer.permissions:
            appbuilder.sm.add_permission_to_role(finance, permission)
        for user in users:
            role = appbuilder.sm.find_role(user["role"])
            assert role, user["role"]
            assert appbuilder.sm.add_user(user["username"], user["username"], "test",
                                          user["username"] + "@example.com", role, user["password"])


create(json.load(sys.stdin))
"""


def _airflow(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([str(BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, f"airflow {args[0]} {args[1]} failed:\n{(done.stdout + done.stderr)[-3000:]}"


@pytest.fixture(scope="module")
def fab_server(tmp_path_factory, pg_cluster, warehouse, kms_endpoint):
    """An api-server with the FAB auth manager and the FinOps plugin; yields (base URL, passwords)."""
    import psycopg

    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{METADATA_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{METADATA_DB}"')
    base = tmp_path_factory.mktemp("fab") / ".local"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(private_api_server_env(port))
    env.update({
        "AIRFLOW_HOME": str(base / "airflow"),
        "AIRFLOW__CORE__AUTH_MANAGER": FAB,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(base / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_cluster.url(METADATA_DB, driver="postgresql+psycopg2"),
        "FINOPS_PROJECT_DIR": str(ROOT),
        "AIRFLOW_VAR_FINOPS_ALL_TEAMS_READERS": "role:Finance",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    (base / "dags").mkdir(parents=True)
    _airflow(env, "db", "migrate")
    roles = {"admin": "Admin", "finance": "Finance", "lead": "Viewer", "mgr": "Viewer", "outsider": "Viewer",
             "nobody": "Public"}
    passwords = {user: generate_password() for user in roles}
    # One process creates the three users through FAB's security manager (as `airflow users create`
    # does), the passwords on stdin rather than in argv.
    users = [{"username": u, "role": r, "password": passwords[u]} for u, r in roles.items()]
    done = subprocess.run([sys.executable, "-c", CREATE_USERS], input=json.dumps(users), env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, f"creating the FAB users failed:\n{(done.stdout + done.stderr)[-3000:]}"
    server = Service("fab-api-server", [str(BIN / "airflow"), "api-server"], base)
    server.start(env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/api/v2/monitor/health", timeout=180, service=server)
        yield url, passwords
    finally:
        server.stop(timeout=20)


def session_for(url: str, user: str, password: str) -> requests.Session:
    """A browser-like session: FAB's token in the UI's ``_token`` cookie."""
    response = requests.post(f"{url}/auth/token", json={"username": user, "password": password}, timeout=30)
    assert response.status_code in (200, 201), response.text
    session = requests.Session()
    session.cookies.set("_token", response.json()["access_token"], domain="127.0.0.1")
    return session


@pytest.mark.timeout(600)
def test_fab_admin_manages_viewer_reads_anonymous_is_refused(fab_server, db):
    url, passwords = fab_server
    assert requests.get(f"{url}/finops/", timeout=30).status_code == 401
    nobody = session_for(url, "nobody", passwords["nobody"]).get(f"{url}/finops/", timeout=30)
    assert nobody.status_code == 403 and "read access to the openai_costs_daily DAG" in nobody.text

    admin = session_for(url, "admin", passwords["admin"])
    page = admin.get(f"{url}/finops/", timeout=30)
    assert page.status_code == 200 and 'data-testid="mode">can manage<' in page.text
    token = CSRF.search(page.text).group(1)
    added = admin.post(f"{url}/finops/teams", data={"team_id": "fabteam", "name": "FAB team", "csrf_token": token},
                       headers={"Origin": url}, allow_redirects=False, timeout=30)
    assert added.status_code == 303, added.text
    assert db.execute("SELECT created_by FROM finops.teams WHERE team_id = 'fabteam'").fetchone() == ("airflow:admin",)

    viewer = session_for(url, "finance", passwords["finance"])  # the FAB role Finance reads every team
    page = viewer.get(f"{url}/finops/", timeout=30)
    assert page.status_code == 200 and 'data-testid="mode">read-only<' in page.text
    assert 'data-team="fabteam"' in page.text and "<form method=\"post\"" not in page.text
    refused = viewer.post(f"{url}/finops/teams/fabteam/deactivate", data={"confirm": "on", "csrf_token": token},
                          headers={"Origin": url}, allow_redirects=False, timeout=30)
    assert refused.status_code == 403 and "permission to edit Airflow connections" in refused.text
    assert db.execute("SELECT active FROM finops.teams WHERE team_id = 'fabteam'").fetchone() == (True,)


@pytest.mark.timeout(900)
def test_fab_every_route_as_each_kind_of_user(fab_server, db, tmp_path):
    """The access matrix under FAB: Admin, the role Finance (all teams), Viewer members (reader, manager), a Viewer in
    no team; another team is a 404 on every page, download, JSON route and form post."""
    from datetime import UTC, datetime

    from access_matrix import OTHER, OWN, seed
    from test_scoped_access import run_matrix

    url, passwords = fab_server
    files = seed(db, datetime.now(UTC).date(), tmp_path / "statements")
    users = {"admin": "admin", "all_teams_reader": "finance", "member": "lead", "manager": "mgr", "outsider": "outsider"}
    sessions = {kind: session_for(url, user, passwords[user]) for kind, user in users.items()}
    wrong = run_matrix(url, sessions, files)
    assert not wrong, "\n".join(wrong)
    listing = sessions["member"].get(f"{url}/finops/", timeout=30).text
    assert f'data-team="{OWN}"' in listing and OTHER not in listing

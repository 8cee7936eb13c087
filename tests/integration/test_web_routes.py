"""The FinOps page through Airflow's own app (plugin mounted, auth manager, middlewares) with TestClient.

Real PostgreSQL, moto's KMS over HTTP and the Costs API simulator over HTTP; JWTs from the simple
auth manager for an admin and a viewer.
"""

from __future__ import annotations

import html
import os
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from markupsafe import escape
from simulator_fixtures import HEALTHY

pytestmark = pytest.mark.usefixtures("viewer_reads_every_team")

os.environ.setdefault("AIRFLOW__CORE__AUTH_MANAGER",
                      "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")

PAGE = "/finops/"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


def random_key() -> str:
    from finops.simulator.config import random_key as make

    return make()


@pytest.fixture(scope="session")
def airflow_app():
    """Airflow's API app with the plugins folder loaded (the FinOps app under /finops)."""
    from airflow.api_fastapi.app import create_app

    return create_app(apps="core")


@pytest.fixture(scope="session")
def tokens(airflow_app) -> dict[str, str]:
    """JWTs minted by the simple auth manager for the admin and the viewer."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    manager = get_auth_manager()
    return {name: manager.generate_jwt(SimpleAuthManagerUser(username=name, role=name)) for name in ("admin", "viewer")}


class Browser:
    """A cookie-carrying client like the Airflow UI's iframe; keeps every response body it saw."""

    def __init__(self, app, token: str | None) -> None:
        from fastapi.testclient import TestClient

        self.client = TestClient(app, follow_redirects=False)
        if token:
            self.client.cookies.set("_token", token)
        self.bodies: list[str] = []

    def get(self, path: str = PAGE, **kwargs):
        response = self.client.get(path, **kwargs)
        self.bodies.append(response.text)
        return response

    def page(self) -> str:
        response = self.get()
        assert response.status_code == 200, response.text
        return response.text

    def token(self) -> str:
        found = CSRF.search(self.page())
        assert found and found.group(1), "the page has no CSRF token"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], *, csrf: str | None = None, headers: dict | None = None):
        body = {**data, "csrf_token": self.token() if csrf is None else csrf}
        response = self.client.post(PAGE.rstrip("/") + path, data=body, headers=headers or {})
        self.bodies.append(response.text)
        return response

    def team(self, team_id: str) -> str:
        """The team's management page."""
        response = self.get(f"{PAGE}teams/{team_id}")
        assert response.status_code == 200, response.text
        return response.text

    def submit(self, path: str, data: dict[str, str]) -> str:
        """POST a form as the page does, expect the 303 (to the team's page, or the list), and return that page."""
        response = self.post(path, data, headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        assert location.startswith(PAGE)
        shown = self.get(location.split("#")[0])
        assert shown.status_code == 200, shown.text
        return shown.text


@pytest.fixture
def services(db, kms_endpoint, simulator):
    return simulator


@pytest.fixture
def admin(airflow_app, tokens, services) -> Browser:
    return Browser(airflow_app, tokens["admin"])


@pytest.fixture
def viewer(airflow_app, tokens, services) -> Browser:
    return Browser(airflow_app, tokens["viewer"])


def form_html(page: str, form_id: str) -> str:
    """The HTML of the form with that ``id`` (its error message included)."""
    start = page.index(f'id="{form_id}"')
    return page[start:page.index("</form>", start)]


def card(page: str, team_id: str) -> str:
    """The HTML of a team's management page below its header."""
    start = page.index(f'id="team-{team_id}"')
    return page[start:page.index("</main>", start)]


def flash(page: str) -> str:
    found = re.search(r'data-testid="flash">([^<]*)<', page)
    assert found, "no message on the page"
    return html.unescape(found.group(1))


def rebuild_rollups(db) -> None:
    """The rollups recomputed from the cost rows a test inserted directly (as ``finops report --rebuild-rollups``)."""
    from finops.analytics.rollups import rebuild

    with db.transaction():  # the recompute's lock is held until its commit
        rebuild(db)


def all_table_text(db) -> str:
    """Every value of every finops table as text (bytea decoded), for searching keys."""
    chunks = []
    for (name,) in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'finops'").fetchall():
        chunks += [row[0] for row in db.execute(f"SELECT t::text FROM finops.{name} t")]  # noqa: S608 - catalog names
    chunks += [bytes(r[0]).decode("latin-1") for r in db.execute(
        "SELECT ciphertext FROM finops.admin_keys WHERE ciphertext IS NOT NULL")]
    return "\n".join(chunks)


# -- access ---------------------------------------------------------------------------------------

def test_anonymous_requests_get_401(airflow_app, services):
    anonymous = Browser(airflow_app, None)
    assert anonymous.get(PAGE).status_code == 401
    assert anonymous.get("/finops/api/teams").status_code == 401
    assert anonymous.post("/teams", {"team_id": "growth"}, csrf="x").status_code == 401
    assert anonymous.get(PAGE, headers={"Authorization": "Bearer not-a-jwt"}).status_code in (401, 403)


def test_viewer_reads_without_forms_and_gets_403_on_every_post(viewer, admin, db):
    admin.submit("/teams", {"team_id": "growth", "name": "Growth"})
    page = viewer.page()
    assert "Growth" in page and 'data-testid="mode">read-only' in page
    assert 'method="post"' not in page and "csrf_token" not in page and 'type="password"' not in page
    team = viewer.team("growth")
    assert "Growth" in team and "<form" not in team and "csrf_token" not in team and 'type="password"' not in team
    assert viewer.get("/finops/api/teams").json()["can_manage"] is False

    for path, data in [
        ("/teams", {"team_id": "other"}),
        ("/teams/growth/key", {"admin_key": random_key()}),
        ("/teams/growth/key/revoke", {"confirm": "on"}),
        ("/teams/growth/projects", {"project_id": "proj_healthyWeb"}),
        ("/teams/growth/projects/remove", {"project_id": "proj_healthyWeb"}),
        ("/teams/growth/deactivate", {"confirm": "on"}),
    ]:
        assert viewer.post(path, data, csrf="").status_code == 403, path
    # Even with a token minted for the viewer's own session.
    from finops.web.csrf import token_for

    viewer.get()
    nonce = viewer.client.cookies.get("finops_csrf") or "n" * 43
    viewer.client.cookies.set("finops_csrf", nonce)
    assert viewer.post("/teams", {"team_id": "other"}, csrf=token_for(nonce, "viewer")).status_code == 403
    assert db.execute("SELECT count(*) FROM finops.teams").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM finops.audit_log WHERE actor LIKE 'airflow:viewer'").fetchone()[0] == 0


# -- admin flows ----------------------------------------------------------------------------------

def test_admin_registers_rotates_and_revokes_keys_and_manages_projects(admin, db, services, capfd):
    first = services.key(HEALTHY)
    second = random_key()

    page = admin.submit("/teams", {"team_id": "growth", "name": "Growth team"})
    assert "Team growth (Growth team) is registered" in flash(page)
    assert 'data-team="growth"' in page

    page = admin.submit("/teams/growth/key", {"admin_key": first})
    assert flash(page).startswith("Admin key sk-admin...") and "verified live" in flash(page)
    key_panel = card(page, "growth")
    assert f"sk-admin...{first[-4:]}" in key_panel
    row = db.execute("SELECT redacted, fingerprint, status, created_by, last_verified_at FROM finops.admin_keys").fetchone()
    assert row[0] == f"sk-admin...{first[-4:]}" and row[2] == "active" and row[3] == "airflow:admin"
    assert row[4] is not None, "a verified key records when it was verified"
    assert row[1] in page

    page = admin.submit("/teams/growth/projects", {"project_id": "proj_healthyWeb", "name": ""})
    assert "proj_healthyWeb (Web)" in flash(page)
    projects = card(page, "growth")
    assert re.search(r'<span class="name">Web</span> <code class="id"[^>]*>proj_healthyWeb</code>', projects)

    page = admin.submit("/teams/growth/key", {"admin_key": second, "skip_verify": "on"})
    assert "replaces sk-admin..." in flash(page) and "live check skipped" in flash(page)
    statuses = db.execute("SELECT status FROM finops.admin_keys ORDER BY key_id").fetchall()
    assert [s[0] for s in statuses] == ["rotated", "active"]
    assert "Earlier keys (1)" in page

    page = admin.submit("/teams/growth/key/revoke", {})
    assert "Tick the confirmation box" in form_html(page, "form-revoke-growth")
    assert db.execute("SELECT count(*) FROM finops.admin_keys WHERE status = 'active'").fetchone()[0] == 1

    page = admin.submit("/teams/growth/key/revoke", {"confirm": "on"})
    assert "is revoked" in flash(page)
    assert "key revoked" in page and 'data-testid="revoke-form"' not in page
    assert db.execute("SELECT count(*) FROM finops.admin_keys WHERE ciphertext IS NOT NULL").fetchone()[0] == 0

    page = admin.submit("/teams/growth/projects/remove", {"project_id": "proj_healthyWeb"})
    assert "no longer collected" in flash(page)
    assert db.execute("SELECT active FROM finops.projects").fetchone()[0] is False

    page = admin.submit("/teams/growth/deactivate", {"confirm": "on"})
    assert "is deactivated" in flash(page)
    assert 'data-team="growth"' not in page and "Deactivated teams" in page  # back on the team list
    assert 'data-testid="deactivated"' in admin.team("growth") and "<form" not in card(admin.team("growth"), "growth")
    assert db.execute("SELECT active FROM finops.teams").fetchone()[0] is False

    audit = db.execute("SELECT actor, action FROM finops.audit_log ORDER BY audit_id").fetchall()
    assert [a for _, a in audit] == ["team.add", "key.register", "project.add", "key.rotate", "key.revoke",
                                     "project.remove", "team.deactivate"]
    assert {actor for actor, _ in audit} == {"airflow:admin"}

    # The keys never come back: not in any response, table, or log line.
    for body in admin.bodies:
        assert first not in body and second not in body
    tables = all_table_text(db)
    assert first not in tables and second not in tables
    output = capfd.readouterr()
    logs = output.out + output.err
    assert "/finops/teams/growth/key" in logs, "the access log should show the requests"
    assert first not in logs and second not in logs


def test_reactivating_a_team_by_adding_it_again(admin, db):
    admin.submit("/teams", {"team_id": "growth"})
    admin.submit("/teams/growth/deactivate", {"confirm": "on"})
    page = admin.submit("/teams", {"team_id": "growth", "name": "Back again"})
    assert 'data-team="growth"' in page and "Back again" in page
    assert 'data-team="growth"' in admin.page()


def team_cards(page: str) -> list[str]:
    """The team ids of the team list's rows, in order."""
    return re.findall(r'<tr data-team="([^"]+)"', page)


def test_many_teams_are_paged_searchable_and_a_form_returns_to_its_team(admin, db):
    from finops.registry import Registry

    registry = Registry()
    for n in range(30):
        registry.add_team(f"team{n:02d}", "test", name=f"Team {n:02d}")
    first = admin.page()
    assert team_cards(first) == [f"team{n:02d}" for n in range(25)]
    assert "Page 1 of 2" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = admin.get(PAGE, params={"page": "2"}).text
    assert team_cards(second) == [f"team{n:02d}" for n in range(25, 30)] and 'rel="prev"' in second
    assert team_cards(admin.get(PAGE, params={"page": "9"}).text) == team_cards(second)  # past the end: the last

    found = admin.get(PAGE, params={"q": "TEAM 1"}).text  # names "Team 10" .. "Team 19", any case
    assert team_cards(found) == [f"team{n}" for n in range(10, 20)]
    assert "10 of 30 active teams match" in html.unescape(found)
    assert "No active team matches" in html.unescape(admin.get(PAGE, params={"q": "<none>"}).text)
    assert "&lt;none&gt;" in admin.get(PAGE, params={"q": "<none>"}).text

    # Adding a team opens its page; the list is unchanged otherwise.
    shown = admin.submit("/teams", {"team_id": "zz-last", "name": "Last"})
    assert 'data-team="zz-last"' in shown and "is registered" in flash(shown) and "<tr data-team" not in shown
    assert team_cards(admin.page())[0] == "zz-last"  # "Last" sorts before "Team 00" by name

    api = admin.get("/finops/api/teams", params={"page": "2"}).json()
    assert (api["page"], api["pages"], api["teams_active"], len(api["teams"])) == (2, 2, 31, 6)
    assert admin.get("/finops/api/teams", params={"page": "0"}).status_code == 422


def test_api_returns_typed_overview(admin, db):
    admin.submit("/teams", {"team_id": "growth", "name": "Growth"})
    admin.submit("/teams/growth/key", {"admin_key": random_key(), "skip_verify": "on"})
    admin.submit("/teams/growth/projects", {"project_id": "proj_abc", "skip_verify": "on"})
    overview = admin.get("/finops/api/teams").json()
    assert overview["can_manage"] is True
    team = overview["teams"][0]
    assert team["team_id"] == "growth" and team["key"]["status"] == "active"
    assert team["key"]["redacted"].startswith("sk-admin...")
    assert [p["project_id"] for p in team["projects"]] == ["proj_abc"]
    assert len(team["collection"]) == 14 and team["audit"][0]["action"] == "project.add"
    keys = admin.get("/finops/api/teams/growth/keys").json()
    assert keys["keys"][0]["fingerprint"] == team["key"]["fingerprint"]
    assert admin.get("/finops/api/teams/nobody/keys").status_code == 404
    assert admin.get("/finops/api/projects", params={"team_id": "growth"}).json()["projects"][0]["project_id"] == "proj_abc"


# -- CSRF -----------------------------------------------------------------------------------------

def test_csrf_refuses_missing_wrong_and_cross_site_posts(admin, db):
    token = admin.token()
    cases = [
        ({"csrf": ""}, "missing token"),
        ({"csrf": "0" * 64}, "wrong token"),
        ({"csrf": token, "headers": {"Origin": "https://evil.example"}}, "cross-site Origin"),
        ({"csrf": token, "headers": {"Origin": "null"}}, "opaque Origin"),
        ({"csrf": token, "headers": {"Sec-Fetch-Site": "cross-site"}}, "Sec-Fetch-Site cross-site"),
        ({"csrf": token, "headers": {"Sec-Fetch-Site": "same-site"}}, "Sec-Fetch-Site same-site"),
    ]
    for kwargs, label in cases:
        response = admin.post("/teams", {"team_id": "growth"}, **kwargs)
        assert response.status_code == 403, label
    # A token is bound to its browser's nonce cookie: another session of the same user cannot use it.
    other_browser = Browser(admin.client.app, admin.client.cookies.get("_token"))
    assert other_browser.token() != token
    assert other_browser.post("/teams", {"team_id": "growth"}, csrf=token).status_code == 403
    assert db.execute("SELECT count(*) FROM finops.teams").fetchone()[0] == 0

    response = admin.post("/teams", {"team_id": "growth"}, headers={"Origin": "http://testserver"})
    assert response.status_code == 303
    assert db.execute("SELECT count(*) FROM finops.teams").fetchone()[0] == 1


def test_responses_carry_framing_and_content_security_headers(admin):
    response = admin.get()
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["cache-control"] == "no-store"
    set_cookie = response.headers.get("set-cookie", "")
    assert "finops_csrf=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie


# -- escaping and errors --------------------------------------------------------------------------

def test_xss_payloads_are_rendered_escaped(admin, db):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    page = admin.submit("/teams", {"team_id": "growth", "name": payload})
    assert "<script>alert" not in page and "<img src=x" not in page
    assert str(escape(payload)) in page
    page = admin.submit("/teams/growth/projects", {"project_id": "proj_abc", "name": payload, "skip_verify": "on"})
    assert "<script>alert" not in page and "<img src=x" not in page
    # A rejected team id with markup is echoed escaped next to the form, and kept in the field.
    page = admin.submit("/teams", {"team_id": '"><script>alert(2)</script>', "name": "kept name"})
    assert "<script>alert(2)" not in page
    assert "A team id is 1 to 63" in form_html(page, "form-team")


def test_registry_errors_show_as_one_sentence_next_to_the_form_with_inputs_kept(admin, db, services, monkeypatch):
    admin.submit("/teams", {"team_id": "growth", "name": "Growth"})

    page = admin.submit("/teams", {"team_id": "Bad Team!", "name": "Kept name"})
    form = form_html(page, "form-team")
    assert 'value="Bad Team!"' in form and 'value="Kept name"' in form
    error = re.search(r'data-testid="form-error">([^<]*)<', form).group(1)
    assert error.count(". ") == 0 and error.endswith(".")

    revoked = services.key(HEALTHY, "revoked")
    page = admin.submit("/teams/growth/key", {"admin_key": revoked})
    form = form_html(page, "form-key-growth")
    assert "rejected the Admin key" in html.unescape(form)
    assert revoked not in page and 'name="admin_key" required' in form and "value=" not in form.split('name="admin_key"')[1].split(">")[0]

    no_scope = services.key(HEALTHY, "no_scope")
    page = admin.submit("/teams/growth/key", {"admin_key": no_scope, "skip_verify": ""})
    assert "api.usage.read" in form_html(page, "form-key-growth")

    project_key = "sk-proj-" + "a" * 40
    page = admin.submit("/teams/growth/key", {"admin_key": project_key, "skip_verify": "on"})
    form = form_html(page, "form-key-growth")
    assert "project or service-account key" in form and project_key not in page
    assert "checked" in form.split('name="skip_verify"')[1].split(">")[0], "the skip box stays ticked"

    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_KMS_KEY_ID", "alias/does-not-exist")
    page = admin.submit("/teams/growth/key", {"admin_key": random_key(), "skip_verify": "on"})
    assert "KMS" in form_html(page, "form-key-growth")
    monkeypatch.undo()

    page = admin.submit("/teams/growth/projects", {"project_id": "proj_healthyWeb", "name": "My web"})
    assert "no active Admin key" in html.unescape(form_html(page, "form-project-growth"))
    admin.submit("/teams/growth/key", {"admin_key": services.key(HEALTHY)})
    page = admin.submit("/teams/growth/projects", {"project_id": "not-a-project", "name": "My web"})
    form = form_html(page, "form-project-growth")
    assert "proj_" in form and 'value="not-a-project"' in form and 'value="My web"' in form
    admin.submit("/teams/growth/projects", {"project_id": "proj_healthyWeb"})
    page = admin.submit("/teams/growth/projects", {"project_id": "proj_healthyWeb"})
    assert "already registered" in form_html(page, "form-project-growth")
    page = admin.submit("/teams/growth/projects", {"project_id": "proj_unknownOne"})
    assert 'value="proj_unknownOne"' in form_html(page, "form-project-growth")
    assert db.execute("SELECT count(*) FROM finops.projects").fetchone()[0] == 1

    for body in admin.bodies:
        assert revoked not in body and no_scope not in body and project_key not in body
    assert db.execute("SELECT count(*) FROM finops.admin_keys").fetchone()[0] == 1


# -- collection status and spend --------------------------------------------------------------------

def test_status_grid_and_spend_chart_show_collection_data(admin, db):
    admin.submit("/teams", {"team_id": "growth"})
    today = datetime.now(UTC).date()

    def run(start: date, days: int, status: str, error: str | None = None, hours_ago: int = 0) -> None:
        db.execute(
            "INSERT INTO finops.collection_runs (team_id, window_start, window_end, status, error, started_at, finished_at) "
            "VALUES ('growth', %s, %s, %s, %s, now(), now() - make_interval(hours => %s))",
            (start, start + timedelta(days=days), status, error, hours_ago),
        )

    run(today - timedelta(days=10), 3, "success", hours_ago=48)             # days -10..-8 collected
    run(today - timedelta(days=9), 1, "failed", "Costs API unavailable <b>", 1)  # day -9 failed later
    run(today - timedelta(days=2), 3, "success")                             # -2..today (today, -1 unsettled)
    for offset, amount in [(3, "12.50"), (3, "0.25"), (20, "100"), (40, "999")]:
        db.execute(
            "INSERT INTO finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, collected_at) "
            "VALUES ('growth', %s, %s, 'gpt-4o, input', 'usd', %s, now())",
            (today - timedelta(days=offset), f"proj_{amount.replace('.', '')}", Decimal(amount)),
        )
    rebuild_rollups(db)

    page = admin.team("growth")
    grid = {day: state for state, day in re.findall(r'data-state="(\w+)" data-day="([\d-]+)"', page)}
    assert len(grid) == 14
    assert grid[str(today - timedelta(days=10))] == "success"
    assert grid[str(today - timedelta(days=9))] == "failed"
    assert grid[str(today - timedelta(days=2))] == "success"
    assert grid[str(today - timedelta(days=1))] == "unsettled" and grid[str(today)] == "unsettled"
    assert grid[str(today - timedelta(days=5))] == "missing"
    assert "Costs API unavailable &lt;b&gt;" in page, "the failure reason is the cell's escaped tooltip"

    chart = card(page, "growth")
    assert 'data-testid="stacked-chart"' in chart and "<svg" in chart
    assert f"{today - timedelta(days=3)}, proj_1250: 12.50 USD" in chart
    assert f"{today - timedelta(days=20)}, proj_100: 100.00 USD" in chart
    assert str(today - timedelta(days=40)) not in chart, "only the last 30 days are charted"
    assert "total 112.75 USD" in chart
    overview = admin.get("/finops/api/teams").json()
    spend = overview["teams"][0]["spend"][0]
    assert spend["currency"] == "usd" and Decimal(spend["total"]) == Decimal("112.75") and len(spend["days"]) == 30

"""Scoped access through Airflow's own app (simple auth manager, real PostgreSQL): every route as each kind of user
(tests/access_matrix.py), what a member's pages, JSON and CSV contain (their teams only, totals equal to SQL over
cost_data), the empty overview of a user in no team, and the Members, Channels and Statements sections' forms."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from access_matrix import KINDS, OTHER, OWN, calls, expected, form_data, seed, statement_month, token_in

PAGE = "/finops"
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
USERS = {"admin": ("admin", "admin"), "all_teams_reader": ("finance", "viewer"), "member": ("lead", "viewer"),
         "manager": ("mgr", "viewer"), "outsider": ("outsider", "viewer")}


@pytest.fixture(scope="module")
def airflow_app():
    from airflow.api_fastapi.app import create_app

    return create_app(apps="core")


@pytest.fixture
def world(db, kms_endpoint, tmp_path, monkeypatch):
    """The seeded warehouse; ``finance`` named in ``finops_all_teams_readers``."""
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_ALL_TEAMS_READERS", "finance")
    today = datetime.now(UTC).date()
    return seed(db, today, tmp_path / "statements"), today


@pytest.fixture
def clients(airflow_app):
    """A cookie-carrying client per kind of user (JWTs of the simple auth manager)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi.testclient import TestClient

    manager = get_auth_manager()
    found = {}
    for kind, (name, role) in USERS.items():
        client = TestClient(airflow_app, follow_redirects=False)
        client.cookies.set("_token", manager.generate_jwt(SimpleAuthManagerUser(username=name, role=role)))
        found[kind] = client
    return found


def test_every_route_answers_each_kind_of_user_as_the_one_rule_says(world, clients, db):
    files, _ = world
    matrix = calls(files)
    assert len({c.template for c in matrix}) >= 20 and any("statements" in c.path for c in matrix)
    wrong = []
    for kind in KINDS:
        client = clients[kind]
        token = token_in(client.get(f"{PAGE}/teams/{OWN}").text)
        for call in matrix:
            if call.method == "GET":
                response = client.get(PAGE + call.path)
            else:
                response = client.post(PAGE + call.path, data={**form_data(call), "csrf_token": token},
                                       headers=SAME_ORIGIN)
            if response.status_code != expected(kind, call):
                wrong.append(f"{kind} {call.name}: {response.status_code} (expected {expected(kind, call)})")
            elif response.status_code == 404 and call.team == OTHER:
                assert "not registered" in response.json()["detail"], (kind, call.name)
    assert not wrong, "\n".join(wrong)
    # Refused posts changed nothing: the manager's allowed posts only cleared channels that were empty.
    assert db.execute("SELECT count(*) FROM finops.teams WHERE active").fetchone()[0] == 3  # growth, search, matrix
    assert db.execute("SELECT actor FROM finops.audit_log WHERE team_id = %s AND action = 'channels.set'",
                      (OTHER,)).fetchall() == [("airflow:admin",)]


def _csv_total(text: str) -> Decimal:
    return sum((Decimal(r["amount"]) for r in csv.DictReader(io.StringIO(text))), Decimal(0))


def test_a_member_sees_only_their_team_everywhere_and_totals_equal_sql(world, clients, db):
    _, today = world
    lead = clients["member"]
    listing = lead.get(f"{PAGE}/").text
    assert f'data-team="{OWN}"' in listing and OTHER not in listing and "Zephyr team" not in listing
    assert [t["team_id"] for t in lead.get(f"{PAGE}/api/teams").json()["teams"]] == [OWN]
    assert {p["project_id"] for p in lead.get(f"{PAGE}/api/projects").json()["projects"]} <= {"proj_growthWeb000000000000000000", "unassigned"}

    first = today.replace(day=1)
    (growth_sql,) = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s AND usage_date >= %s "
                               "AND usage_date <= %s", (OWN, first, today)).fetchone()
    overview = lead.get(f"{PAGE}/overview").text
    assert OTHER not in overview and "Zephyr team" not in overview
    shown = re.search(r'data-testid="kpi-total">.*?data-amount="([^"]+)"', overview, re.S).group(1)
    assert Decimal(shown) == growth_sql
    exported = lead.get(f"{PAGE}/overview/export.csv?group=team")
    assert exported.status_code == 200 and {r["team_id"] for r in csv.DictReader(io.StringIO(exported.text))} == {OWN}
    assert _csv_total(exported.text) == growth_sql

    everyone = clients["all_teams_reader"].get(f"{PAGE}/overview/export.csv?group=team").text
    (all_sql,) = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE usage_date >= %s AND usage_date <= %s",
                            (first, today)).fetchone()
    assert _csv_total(everyone) == all_sql and all_sql > growth_sql


def test_a_user_in_no_team_sees_an_empty_overview_that_says_whom_to_ask(world, clients):
    outsider = clients["outsider"]
    for path in ("/", "/overview"):
        page = outsider.get(PAGE + path).text
        assert 'data-testid="no-team"' in page and "finops members add TEAM_ID outsider" in page
        assert OWN not in page and OTHER not in page
    assert outsider.get(f"{PAGE}/api/teams").json()["teams"] == []
    assert outsider.get(f"{PAGE}/overview/export.csv").text.strip().splitlines()[1:] == []


def test_admin_adds_and_removes_a_member_audited_and_the_member_gains_and_loses_the_team(world, clients, db):
    admin, outsider = clients["admin"], clients["outsider"]
    page = admin.get(f"{PAGE}/teams/{OTHER}").text
    assert 'data-testid="member-form"' in page and 'data-testid="no-members"' in page
    added = admin.post(f"{PAGE}/teams/{OTHER}/members", data={"username": "outsider", "role": "reader",
                                                                 "csrf_token": token_in(page)}, headers=SAME_ORIGIN)
    assert added.status_code == 303
    shown = admin.get(f"{PAGE}/teams/{OTHER}").text
    assert "outsider is now a reader of team zephyr." in shown and 'data-member="outsider"' in shown
    assert outsider.get(f"{PAGE}/teams/{OTHER}").status_code == 200
    assert outsider.get(f"{PAGE}/teams/{OWN}").status_code == 404

    refused = admin.post(f"{PAGE}/teams/{OTHER}/members", data={"username": "two words", "role": "reader",
                                                                   "csrf_token": token_in(shown)}, headers=SAME_ORIGIN)
    assert "is not an Airflow username" in admin.get(refused.headers["location"].split("#")[0]).text
    removed = admin.post(f"{PAGE}/teams/{OTHER}/members/remove", data={"username": "outsider",
                                                                         "csrf_token": token_in(shown)},
                         headers=SAME_ORIGIN)
    assert removed.status_code == 303 and outsider.get(f"{PAGE}/teams/{OTHER}").status_code == 404
    audit = db.execute("SELECT action, actor, detail FROM finops.audit_log WHERE team_id = %s AND action LIKE "
                       "'member.%%' ORDER BY audit_id", (OTHER,)).fetchall()
    assert audit == [("member.add", "airflow:admin", "outsider as reader"),
                     ("member.remove", "airflow:admin", "outsider (was reader)")]


def test_a_manager_sets_the_teams_channels_and_budget_but_sees_no_key_or_member_form(world, clients, db):
    mgr = clients["manager"]
    page = mgr.get(f"{PAGE}/teams/{OWN}").text
    assert 'data-testid="mode">team manager<' in page
    assert 'data-testid="channels-form"' in page and 'data-testid="budget-form"' in page
    for form in ("key-form", "project-form", "member-form", "deactivate-form", "remove-member-form"):
        assert f'data-testid="{form}"' not in page, form
    saved = mgr.post(f"{PAGE}/teams/{OWN}/channels", headers=SAME_ORIGIN, data={
        "email": "lead@example.com, finance@example.com", "slack_conn": "", "webhook_conn": "growth_hook",
        "csrf_token": token_in(page)})
    assert saved.status_code == 303
    shown = mgr.get(f"{PAGE}/teams/{OWN}").text
    assert "channels are now: e-mail finance@example.com, lead@example.com; webhook `growth_hook`." in shown
    assert db.execute("SELECT email, slack_conn_id, webhook_conn_id, updated_by FROM finops.team_channels WHERE "
                      "team_id = %s", (OWN,)).fetchone() == (["finance@example.com", "lead@example.com"], None,
                                                              "growth_hook", "airflow:mgr")
    bad = mgr.post(f"{PAGE}/teams/{OWN}/channels", headers=SAME_ORIGIN, data={
        "email": "not an address", "csrf_token": token_in(shown)})
    again = mgr.get(bad.headers["location"].split("#")[0]).text
    assert "is not an e-mail address" in again and 'value="not an address"' in again
    budget = mgr.post(f"{PAGE}/teams/{OWN}/budgets", headers=SAME_ORIGIN, data={
        "amount": "1500", "thresholds": "50,80,100", "csrf_token": token_in(shown)})
    assert budget.status_code == 303
    assert db.execute("SELECT amount, created_by FROM finops.budgets WHERE team_id = %s", (OWN,)).fetchone() == (
        Decimal("1500"), "airflow:mgr")


def test_statements_are_listed_per_version_and_downloads_are_the_issued_files(world, clients, db, tmp_path):
    files, today = world
    month, html_name, csv_name = files[OWN]
    lead = clients["member"]
    page = lead.get(f"{PAGE}/teams/{OWN}").text
    assert f'data-statement="{month}-v1"' in page
    assert f'href="{PAGE}/teams/{OWN}/statements/{month}/{csv_name}"' in page

    html = lead.get(f"{PAGE}/teams/{OWN}/statements/{month}/{html_name}")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert f"Statement {month} - team {OWN}" in html.text and csv_name in html.text  # the issued page, naming its CSV
    assert "script-src" not in html.headers["content-security-policy"]
    data = lead.get(f"{PAGE}/teams/{OWN}/statements/{month}/{csv_name}")
    assert data.headers["content-disposition"] == f'attachment; filename="{csv_name}"'
    first = statement_month(today)
    (sql_total,) = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s AND usage_date >= %s AND "
                              "usage_date < %s", (OWN, first, today.replace(day=1))).fetchone()
    assert _csv_total(data.text) == sql_total
    listed = re.search(rf'data-statement="{month}-v1">.*?data-amount="([^"]+)"', page, re.S).group(1)
    assert Decimal(listed) == sql_total  # the listed total is SQL's, exact

    # A restated day and a second run: version 2 is listed beside version 1, each downloadable.
    from finops.showback import statements

    db.execute("UPDATE finops.cost_data SET amount = amount + 1 WHERE team_id = %s AND usage_date = %s",
               (OWN, first))
    dest = statements.destination(str(tmp_path / "statements"))
    amended = statements.issue(OWN, first, as_of=statements.month_end(first).replace(day=11), lookback_days=2,
                               dest=dest)
    assert amended.version == 2
    page = lead.get(f"{PAGE}/teams/{OWN}").text
    assert f'data-statement="{month}-v2"' in page and f'data-statement="{month}-v1"' in page
    v2 = csv_name.replace("-v1.csv", "-v2.csv")
    assert _csv_total(lead.get(f"{PAGE}/teams/{OWN}/statements/{month}/{v2}").text) == sql_total + 2

    # A file that is no longer the issued one is refused in one sentence, never served.
    open(amended.csv, "a").write("tampered\n")
    refused = lead.get(f"{PAGE}/teams/{OWN}/statements/{month}/{v2}")
    assert refused.status_code == 404 and "SHA-256 differs" in refused.json()["detail"]
    assert lead.get(f"{PAGE}/teams/{OWN}/statements/{month}/statement-{OWN}-{month}-v9.csv").status_code == 404


def test_the_team_page_lists_its_own_weekly_digests_with_totals_equal_to_sql(world, clients, db):
    from finops.showback import digest, tasks

    _files, today = world
    run_after = datetime.combine(today, datetime.min.time(), UTC)
    for team in (OWN, OTHER):
        tasks.compose_digests({"team_id": team}, run_after)
    week = digest.iso_week(today)
    _previous, current_start, current_end = digest.windows(today, 2)
    (sql_total,) = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s AND usage_date >= %s AND "
                              "usage_date < %s", (OWN, current_start, current_end)).fetchone()
    for kind in ("member", "admin"):
        page = clients[kind].get(f"{PAGE}/teams/{OWN}").text
        listed = re.search(rf'data-digest="{week}">.*?data-amount="([^"]+)"', page, re.S)
        assert listed and Decimal(listed.group(1)) == sql_total, kind
        section = page[page.index('data-testid="digests-section"'):page.index('data-testid="statements-section"')]
        assert section.count("data-digest=") == 1 and "pending" in section  # its own digest only, not yet sent
        assert f"Team {OWN}" in section or f"({OWN})" in section


def test_a_members_usage_panels_and_usage_csv_hold_only_their_teams_tokens(world, clients, db):
    _, today = world
    for team, tokens in ((OWN, 1_000), (OTHER, 7_777_777)):
        db.execute("INSERT INTO finops.usage_data (provider, team_id, usage_date, project_id, endpoint, model, "
                   "requests, input_tokens, output_tokens, collected_at) VALUES ('openai', %s, %s, 'unassigned', "
                   "'completions', 'gpt-4o-2024-08-06', 1, %s, %s, now())", (team, today, tokens, tokens))
    from finops.analytics.rollups import rebuild_usage
    from finops.warehouse.db import connect

    with connect() as conn:
        rebuild_usage(conn)  # usage written behind the loader's back: the panels' rollup recomputed (as loads do)
    lead = clients["member"]
    overview = lead.get(f"{PAGE}/overview").text
    assert "7,777,777" not in overview and "15,555,554" not in overview
    rows = list(csv.DictReader(io.StringIO(lead.get(f"{PAGE}/overview/export.csv?group=team&usage=1").text)))
    assert {r["team_id"] for r in rows} == {OWN}
    (own_sql,) = db.execute("SELECT sum(input_tokens) FROM finops.usage_data WHERE team_id = %s", (OWN,)).fetchone()
    assert sum(int(r["input_tokens"] or 0) for r in rows) == own_sql
    everyone = clients["all_teams_reader"].get(f"{PAGE}/overview").text
    assert "7,777,777" in everyone or "7,778,777" in everyone

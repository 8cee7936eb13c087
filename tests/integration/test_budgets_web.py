"""Budgets on the FinOps page and month-to-date against budget on the overview, through Airflow's own app.

Real PostgreSQL; JWTs from the simple auth manager for an admin and a viewer; ``today`` pinned on the
FinOps sub-app. The overview's budget figures are checked against SQL over ``finops.cost_data``
written here, independently of the forecast module.
"""

from __future__ import annotations

import html
import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from finops.alerts import budgets as store
from finops.cli import main

pytestmark = pytest.mark.usefixtures("viewer_reads_every_team")

os.environ.setdefault("AIRFLOW__CORE__AUTH_MANAGER",
                      "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")

TODAY = date(2026, 12, 5)
PAGE = "/finops/"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


class Browser:
    """A cookie-carrying client like the Airflow UI's iframe."""

    def __init__(self, app, token: str) -> None:
        from fastapi.testclient import TestClient

        self.client = TestClient(app, follow_redirects=False)
        self.client.cookies.set("_token", token)

    def page(self, path: str = PAGE) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return response.text

    def post(self, path: str, data: dict[str, str], csrf: str | None = None):
        token = csrf if csrf is not None else CSRF.search(self.page())[1]
        return self.client.post(PAGE.rstrip("/") + path, data={**data, "csrf_token": token}, headers=SAME_ORIGIN)

    def submit(self, path: str, data: dict[str, str]) -> str:
        response = self.post(path, data)
        assert response.status_code == 303, response.text
        return self.page(response.headers["location"].split("#")[0])


@pytest.fixture
def teams(db):
    assert main(["teams", "add", "growth", "--name", "Growth team"]) == 0
    assert main(["teams", "add", "search"]) == 0
    assert main(["projects", "add", "growth", "proj_growthWeb", "--no-verify"]) == 0
    assert main(["projects", "add", "search", "default", "--provider", "anthropic", "--no-verify"]) == 0
    return db


@pytest.fixture
def admin(finops_app, tokens, teams) -> Browser:
    return Browser(finops_app, tokens["admin"])


@pytest.fixture
def viewer(finops_app, tokens, teams) -> Browser:
    return Browser(finops_app, tokens["viewer"])


def flash(page: str) -> str:
    found = re.search(r'data-testid="flash">([^<]*)<', page)
    assert found, "no message on the page"
    return html.unescape(found[1])


def form_error(page: str, form_id: str) -> str:
    start = page.index(f'id="{form_id}"')
    found = re.search(r'data-testid="form-error">([^<]*)<', page[start:])
    assert found, f"no error next to {form_id}"
    return html.unescape(found[1])


def budgets_panel(page: str, team_id: str) -> str:
    start = page.index(f'id="budgets-{team_id}"')
    return page[start:page.index('id="members"', start)]


def budget_rows(db) -> list[tuple]:
    return db.execute("SELECT team_id, provider::text, project_id, valid_from, amount, thresholds, created_by, "
                      "cancelled_at IS NOT NULL FROM finops.budgets ORDER BY budget_id").fetchall()


def budget_audit(db) -> list[tuple]:
    return db.execute("SELECT actor, action, team_id, provider::text, detail FROM finops.audit_log "
                      "WHERE action LIKE 'budget.%' ORDER BY audit_id").fetchall()


# -- the page's forms -------------------------------------------------------------------------------

def test_admin_sets_and_removes_budgets_through_the_forms(admin, db):
    page = admin.page(PAGE + "teams/growth")
    form = page[page.index('id="form-budget-growth"'):]
    assert 'name="thresholds" maxlength="80" value="50,80,100"' in form and 'value="2026-12"' in form

    page = admin.submit("/teams/growth/budgets", {"amount": "1000", "provider": "", "project_id": "",
                                                  "thresholds": "50,80,100", "from_month": "", "currency": "usd"})
    assert flash(page) == ("Budget of team growth: 1,000.00 usd a month from 2026-12 on, warnings at 50 %, 80 %, "
                           "100 %.")
    page = admin.submit("/teams/growth/budgets", {"amount": "250.5", "provider": "", "project_id": "proj_growthWeb",
                                                  "thresholds": "90, 75", "from_month": "2027-01"})
    assert "team growth, openai project proj_growthWeb: 250.50 usd a month from 2027-01 on" in flash(page)
    assert budget_rows(db) == [
        ("growth", None, None, date(2026, 12, 1), Decimal(1000), [50, 80, 100], "airflow:admin", False),
        ("growth", "openai", "proj_growthWeb", date(2027, 1, 1), Decimal("250.5"), [75, 90], "airflow:admin", False),
    ]
    assert budget_audit(db) == [
        ("airflow:admin", "budget.set", "growth", None, "all providers: 1000 usd a month, thresholds 50,80,100 % "
                                                        "from 2026-12"),
        ("airflow:admin", "budget.set", "growth", "openai", "openai project proj_growthWeb: 250.5 usd a month, "
                                                            "thresholds 75,90 % from 2027-01"),
    ]
    panel = budgets_panel(page, "growth")
    current = panel[panel.index('data-testid="budgets-current"'):panel.index("</table>")]
    assert "1,000.00 USD" in current and ">in force<" in current and "50, 80, 100 %" in current
    assert "proj_growthWeb" in current and ">scheduled<" in current and "75, 90 %" in current
    assert current.count('data-testid="remove-budget-form"') == 2
    assert "Budget history (2 changes)" in panel
    assert "budget.set" in page  # the card's recent changes show the audit entries
    teams_json = admin.client.get("/finops/api/teams").json()["teams"]
    growth = next(t for t in teams_json if t["team_id"] == "growth")
    assert [(b["month"], b["status"], b["amount"]) for b in growth["budgets"]] == [
        ("2026-12", "in force", "1000"), ("2027-01", "scheduled", "250.5")]

    # The team-wide budget's remove button: from the current month on.
    page = admin.submit("/teams/growth/budgets/remove", {"provider": "", "project_id": "", "from_month": "2026-12"})
    assert flash(page) == "Budget of team growth removed from 2026-12 on; earlier months keep theirs."
    rows = budget_rows(db)
    assert rows[-1] == ("growth", None, None, date(2026, 12, 1), None, [50, 80, 100], "airflow:admin", False)
    assert budget_audit(db)[-1] == ("airflow:admin", "budget.remove", "growth", None,
                                    "all providers: removed from 2026-12")
    panel = budgets_panel(page, "growth")
    current = panel[panel.index('data-testid="budgets-current"'):panel.index("</table>")]
    assert "1,000.00 USD" not in current and "proj_growthWeb" in current
    assert "Budget history (3 changes)" in panel and ">removed<" in panel and ">replaced<" in panel

    # The scheduled project budget's button removes it from its own month: the removal replaces it.
    page = admin.submit("/teams/growth/budgets/remove", {"provider": "openai", "project_id": "proj_growthWeb",
                                                         "from_month": "2027-01"})
    assert "openai project proj_growthWeb removed from 2027-01 on" in flash(page)
    panel = budgets_panel(page, "growth")
    current = panel[panel.index('data-testid="budgets-current"'):panel.index("</table>")]
    assert ">removal scheduled<" in current and "250.50 USD" not in current and "remove-budget-form" not in current
    assert "Budget history (4 changes)" in panel and panel.count("<td>replaced</td>") == 2
    assert [r[1] for r in budget_audit(db)] == ["budget.set", "budget.set", "budget.remove", "budget.remove"]


@pytest.mark.parametrize(("fields", "expected"), [
    ({"amount": "lots"}, "The budget amount 'lots' is not a number; give a positive number such as 1000 or 2500.50, "
                         "in the data's currency."),
    ({"amount": "-5"}, "The budget amount '-5' is not positive;"),
    ({"amount": "1e13"}, "The budget amount '1e13' is out of range;"),
    ({"amount": "", "thresholds": "50,80,100"}, "The budget amount '' is not a number;"),
    ({"amount": "100", "thresholds": "0,2000"}, "The thresholds '0,2000' are out of range;"),
    ({"amount": "100", "thresholds": "fifty"}, "The thresholds 'fifty' are not whole percentages;"),
    ({"amount": "100", "thresholds": "80,80"}, "The thresholds '80,80' repeat a value;"),
    ({"amount": "100", "from_month": "2026-13"}, "The month '2026-13' is not a month; give it as YYYY-MM"),
    ({"amount": "100", "provider": "azure"}, "The provider 'azure' is unknown; give one of openai, anthropic."),
    ({"amount": "100", "project_id": "proj_neverRegistered"},
     "Project proj_neverRegistered is not registered for team growth on openai; register it with "),
    ({"amount": "100", "project_id": "not-a-project"}, "The project 'not-a-project' is not an OpenAI or Anthropic "
                                                       "project id;"),
    ({"amount": "100", "currency": "dollars"}, "The currency 'dollars' is not a three-letter code;"),
])
def test_bad_input_is_one_sentence_next_to_the_form_and_stores_nothing(admin, db, fields, expected):
    response = admin.post("/teams/growth/budgets", fields)
    assert response.status_code == 303
    assert response.headers["location"].endswith("#form-budget-growth")
    page = admin.page(PAGE + "teams/growth")
    message = form_error(page, "form-budget-growth")
    assert message.startswith(expected)
    assert message.endswith(".") and message.replace("e.g. ", "").count(". ") == 0, "one sentence"
    kept = page[page.index('id="form-budget-growth"'):]
    assert f'name="amount" required inputmode="decimal" maxlength="40" placeholder="e.g. 1000 or 2500.50" ' \
           f'value="{html.escape(fields["amount"], quote=True)}"' in kept
    assert budget_rows(db) == [] and budget_audit(db) == []


def test_removing_a_budget_that_does_not_exist_says_so(admin, db):
    response = admin.post("/teams/search/budgets/remove", {"provider": "", "project_id": "", "from_month": ""})
    assert response.headers["location"].endswith("#form-remove_budget-search")
    assert form_error(admin.page(PAGE + "teams/search"), "form-remove_budget-search") == (
        "There is no budget for team search from 2026-12 on; see `finops budgets list`.")
    assert budget_rows(db) == [] and budget_audit(db) == []


def test_viewer_reads_budgets_without_forms_and_gets_403(viewer, admin, db):
    store.set_budget("growth", "1000", "test", today=TODAY)
    page = viewer.page(PAGE + "teams/growth")
    panel = budgets_panel(page, "growth")
    assert "1,000.00 USD" in panel and ">in force<" in panel
    assert "<form" not in page and "csrf_token" not in page

    before = budget_rows(db)
    for path, data in [("/teams/growth/budgets", {"amount": "5"}),
                       ("/teams/growth/budgets/remove", {"from_month": "2026-12"})]:
        assert viewer.post(path, data, csrf="").status_code == 403, path
        # An admin without the form's token is refused too.
        assert admin.post(path, data, csrf="0" * 64).status_code == 403, path
    assert budget_rows(db) == before
    assert [a[1] for a in budget_audit(db)] == ["budget.set"]


# -- the overview's budget panel ------------------------------------------------------------------

def day_amount(team: str, day: date, line: int) -> Decimal:
    """Two-decimal amounts with a weekly shape, so the run rate is not trivially constant."""
    n = (day - date(2026, 11, 1)).days
    return Decimal(len(team) * 3 + (n * 37 + line * 11) % 53 + (9 if day.weekday() < 5 else 0)) + \
        Decimal((n * 13 + line) % 100) / 100


@pytest.fixture
def spend(teams):
    """Nov 1 .. Dec 5 (today, partial) for two teams, two providers, two projects."""
    db = teams
    lines = [("growth", "openai", "proj_growthWeb"), ("growth", "openai", "unassigned"),
             ("search", "openai", "proj_searchApi"), ("search", "anthropic", "default")]
    rows = []
    day = date(2026, 11, 1)
    while day <= TODAY:
        for i, (team, provider, project) in enumerate(lines):
            amount = day_amount(team, day, i) / (10 if provider == "anthropic" else 1)
            rows.append((provider, team, day, project, "gpt-4o-2024-08-06, input", amount))
        day += timedelta(days=1)
    with db.cursor() as cur:
        cur.executemany("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                        "amount, collected_at) VALUES (%s, %s, %s, %s, %s, 'usd', %s, now())", rows)
    return db


SQL_STATUS = """
WITH spend AS (
    SELECT usage_date AS day, sum(amount) AS amount FROM finops.cost_data
    WHERE team_id = %(team)s AND currency = 'usd' AND {scope} AND usage_date < %(as_of)s
    GROUP BY usage_date
), rate7 AS (  -- seven times the mean of the 7 settled days before the boundary
    SELECT coalesce(sum(amount), 0) AS r7 FROM spend
    WHERE day >= %(boundary)s::date - 7 AND day < %(boundary)s
), per_day AS (  -- seven times each day's expected spend: settled, provisional (at least the rate), to come
    SELECT d::date AS day,
           CASE WHEN d < %(boundary)s THEN 7 * coalesce(s.amount, 0)
                WHEN d < %(as_of)s THEN greatest(7 * coalesce(s.amount, 0), r7)
                ELSE r7 END AS x7
    FROM generate_series(%(month)s::date, %(month)s::date + interval '1 month' - interval '1 day', interval '1 day') d
    CROSS JOIN rate7 LEFT JOIN spend s ON s.day = d::date
)
SELECT (SELECT coalesce(sum(amount), 0) FROM spend WHERE day >= %(month)s) AS actual,
       round(sum(x7) / 7, 6) AS projected,
       (SELECT min(day) FROM (SELECT day, sum(x7) OVER (ORDER BY day) AS run FROM per_day) c
        WHERE run >= %(budget)s * 7) AS runs_out
FROM per_day
"""


def sql_status(db, team: str, scope: str, budget: Decimal) -> tuple[Decimal, Decimal, Decimal, date | None]:
    """Month-to-date, floor(utilization %), projected month-end and run-out day, in SQL (flat rate, look-back 2)."""
    from psycopg import sql

    actual, projected, runs_out = db.execute(sql.SQL(SQL_STATUS).format(scope=sql.SQL(scope)), {
        "team": team, "as_of": TODAY, "boundary": TODAY - timedelta(days=2), "month": date(2026, 12, 1),
        "budget": budget}).fetchone()
    utilization = db.execute("SELECT floor(%s::numeric * 100 / %s::numeric)", (actual, budget)).fetchone()[0]
    return actual, utilization, projected, runs_out


def panel_rows(page: str) -> dict[tuple[str, str, str], dict[str, str]]:
    start = page.index('data-testid="budget-status"')
    section = page[start:page.index("</section>", start)]
    rows = {}
    for attrs in re.findall(r"<tr (data-team=[^>]*)>", section):
        values = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', attrs))
        rows[(values["team"], values["provider"], values["project"])] = values
    return rows


def test_overview_budget_panel_equals_sql_over_cost_data(finops_app, tokens, spend):
    db = spend
    store.set_budget("growth", "1500.001", "test", today=TODAY)                    # runs out later this month
    store.set_budget("search", "100000", "test", today=TODAY, provider="openai")   # not at this rate
    store.set_budget("search", "0.5", "test", today=TODAY, project_id="default")   # already spent
    store.set_budget("growth", "10", "test", today=TODAY, provider="openai", from_month="2026-11")
    store.remove_budget("growth", "test", today=TODAY, provider="openai")          # November only: not shown
    store.set_budget("growth", "99", "test", today=TODAY, project_id="proj_growthWeb", from_month="2027-01")

    amounts = {("growth", "", ""): Decimal("1500.001"), ("search", "openai", ""): Decimal(100000),
               ("search", "anthropic", "default"): Decimal("0.5")}
    expected = {
        ("growth", "", ""): sql_status(db, "growth", "TRUE", Decimal("1500.001")),
        ("search", "openai", ""): sql_status(db, "search", "provider = 'openai'", Decimal(100000)),
        ("search", "anthropic", "default"): sql_status(
            db, "search", "provider = 'anthropic' AND project_id = 'default'", Decimal("0.5")),
    }
    growth_runs_out = expected[("growth", "", "")][3]
    assert growth_runs_out is not None and growth_runs_out >= TODAY, "the data should run the budget out later"
    assert expected[("search", "openai", "")][3] is None
    assert expected[("search", "anthropic", "default")][3] < TODAY

    from fastapi.testclient import TestClient

    for user in ("viewer", "admin"):
        client = TestClient(finops_app, follow_redirects=False)
        client.cookies.set("_token", tokens[user])
        for path, teams_shown in (("/finops/overview", {"growth", "search"}), ("/finops/overview/teams/growth",
                                                                                {"growth"})):
            response = client.get(path)
            assert response.status_code == 200, response.text
            rows = panel_rows(response.text)
            assert set(rows) == {k for k in expected if k[0] in teams_shown}, path
            for key, row in rows.items():
                actual, utilization, projected, runs_out = expected[key]
                assert Decimal(row["actual"]) == actual, key
                assert Decimal(row["utilization"]) == utilization, key
                assert Decimal(row["projected"]) == projected, key
                assert row["runs-out"] == (runs_out.isoformat() if runs_out else ""), key
                assert Decimal(row["budget"]) == amounts[key], key
            text = response.text
            assert "Month to date through 2026-12-04 (UTC)" in text and "Budgets, December 2026" in text
            if "search" in teams_shown:
                assert "not at this rate" in text and " (spent)" in text
            assert f"{growth_runs_out}</td>" in text

"""The overview and team pages through Airflow's own app (plugin, auth manager) against the real warehouse:
numbers equal SQL over cost_data, grouping/period/provider switches, CSV, restated and provisional days."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from finops.analytics.restatements import record_restatements
from finops.analytics.rollups import refresh_rollups
from finops.costs.models import CostRow
from finops.warehouse.db import connect
from finops.warehouse.loader import Window, replace_window

pytestmark = pytest.mark.usefixtures("viewer_reads_every_team")

os.environ.setdefault("AIRFLOW__CORE__AUTH_MANAGER",
                      "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")

TODAY = date(2026, 3, 10)
OVERVIEW = "/finops/overview"
ITEMS = ("gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06, cached input", "batch | gpt-4o-mini-2024-07-18, output",
         "Vector storage")

ROLLUPS_TRUNCATE = ("TRUNCATE finops.line_items, finops.spend_project_daily, "
                    "finops.spend_project_monthly, "
                    "finops.spend_model_daily")


def amount(team: str, day: int, project: str, item: str) -> Decimal:
    return (Decimal(len(team) * 7 + day * 3 + len(project) + ITEMS.index(item) * 11) * Decimal("0.0130804383403075"))


def client(app, token: str | None):
    from fastapi.testclient import TestClient

    c = TestClient(app, follow_redirects=False)
    if token:
        c.cookies.set("_token", token)
    return c


def load(team: str, start: date, days: int, scale: Decimal = Decimal(1)) -> None:
    window = Window(start, start + timedelta(days=days))
    rows = [CostRow(start + timedelta(days=d), project, item, "usd",
                    scale * amount(team, (start - date(2026, 2, 1)).days + d, project, item), Decimal(1), "tokens",
                    "org")
            for d in range(days) for project in (f"proj_{team}1", f"proj_{team}2", "unassigned") for item in ITEMS]
    result = replace_window(team, window, iter(rows), dag_run_id=f"scheduled__{start}", started_at=datetime.now(UTC))
    with connect() as conn:
        refresh_rollups(conn, "openai", team, window.start, window.end)
        record_restatements(conn, "openai", team, result.run_id)


@pytest.fixture
def seeded(db):
    db.execute(ROLLUPS_TRUNCATE)  # derived tables, not cascaded from teams
    for team, name in (("growth", "Growth team"), ("search", "Search")):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, name))
        load(team, date(2026, 2, 1), 38)  # Feb 1 .. Mar 10
    load("growth", date(2026, 3, 7), 3, scale=Decimal("1.5"))  # Mar 7..9 restated
    for d in range(10):
        db.execute("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                   "amount, collected_at) VALUES ('anthropic', 'search', %s, 'default', %s, 'usd', %s, now())",
                   (date(2026, 3, 1) + timedelta(days=d), "Claude Sonnet 4 Usage - Input Tokens",
                    Decimal("0.0123456789") * (d + 1)))
    with connect() as conn:
        refresh_rollups(conn, "anthropic", "search", date(2026, 3, 1), date(2026, 3, 11))
    return db


def sql_total(db, start: date, end: date, where: str = "TRUE", params: tuple = ()) -> Decimal:
    from psycopg import sql

    query = sql.SQL("SELECT coalesce(sum(amount), 0) FROM finops.cost_data WHERE usage_date >= %s AND usage_date < %s "
                    "AND {}").format(sql.SQL(where))
    return db.execute(query, (start, end, *params)).fetchone()[0]


def amount_of(html: str, testid: str) -> Decimal:
    match = re.search(rf'data-testid="{testid}">\s*<h3>[^<]*</h3>\s*<p class="figure" data-amount="([^"]+)"', html)
    assert match, testid
    return Decimal(match[1])


def test_overview_numbers_equal_sql_for_every_reader(finops_app, tokens, seeded):
    db = seeded
    march = (date(2026, 3, 1), date(2026, 3, 11))
    for user in ("viewer", "admin"):
        response = client(finops_app, tokens[user]).get(OVERVIEW)
        assert response.status_code == 200, response.text
        page = response.text
        assert amount_of(page, "kpi-total") == sql_total(db, *march)
        assert amount_of(page, "kpi-unattributed") == sql_total(db, *march, "project_id = 'unassigned'")
        assert "March 2026 to date" in page and "<form method=\"post\"" not in page
        assert ("Manage teams and keys" if user == "admin" else "Teams, keys and collection status") in page
    # every day of the chart's table equals SQL, and provisional and restated days are marked
    rows = dict(re.findall(r'<tr data-day="([\d-]+)">.*?data-amount="([^"]+)"', page))
    for day, value in rows.items():
        d = date.fromisoformat(day)
        assert Decimal(value) == sql_total(db, d, d + timedelta(days=1)), day
    assert set(rows) == {f"2026-03-{n:02d}" for n in range(1, 11)}
    assert 'provisional</span>' in page and page.count('data-testid="restated-mark"') == 3
    restated = re.findall(r'<tr data-day="([\d-]+)" data-team="growth">', page)
    assert restated == ["2026-03-07", "2026-03-08", "2026-03-09"]
    # top teams with exact amounts
    teams = dict(re.findall(r'data-team="(\w+)">\s*<td>.*?</td>\s*<td class="num" data-amount="([^"]+)"',
                            page.split('data-testid="top-teams"')[1].split("</section>")[0], re.S))
    assert {t: Decimal(v) for t, v in teams.items()} == {
        t: sql_total(db, *march, "team_id = %s", (t,)) for t in ("growth", "search")}
    # no inline style (the CSP forbids it) and nothing from another origin
    assert "style=" not in page and not re.search(r'(src|href)="https?://', page)


def test_comparison_and_projection(finops_app, tokens, seeded):
    db = seeded
    page = client(finops_app, tokens["viewer"]).get(OVERVIEW).text
    now = sql_total(db, date(2026, 3, 1), date(2026, 3, 11))
    before = sql_total(db, date(2026, 2, 1), date(2026, 2, 11))
    change = ((now - before) / before * 100).quantize(Decimal("0.1"))
    assert f"{'+' if change > 0 else '−'}{abs(change)} %" in page and "same days of last month" in page
    # Mar 9 and 10 are inside the 2-day look-back: the rate comes from Mar 1..8, projected over 31 days
    settled = sql_total(db, date(2026, 3, 1), date(2026, 3, 9))
    projection = settled + settled / 8 * 23
    assert "settled daily rate over 8 day(s) x 23 day(s)" in page
    assert f"{projection.quantize(Decimal('0.01')):,.2f} USD" in page.split('data-testid="kpi-projection"')[1]


def test_grouping_period_provider_and_team_filters(finops_app, tokens, seeded):
    db = seeded
    c = client(finops_app, tokens["viewer"])
    page = c.get(OVERVIEW, params={"group": "model"}).text
    assert "Daily spend by model" in page and "gpt-4o-2024-08-06" in page.split('data-testid="legend"')[1]
    page = c.get(OVERVIEW, params={"group": "provider", "provider": "anthropic"}).text
    assert amount_of(page, "kpi-total") == sql_total(db, date(2026, 3, 1), date(2026, 3, 11), "provider = 'anthropic'")
    page = c.get(OVERVIEW, params={"period": "30d"}).text
    assert amount_of(page, "kpi-total") == sql_total(db, TODAY - timedelta(days=29), TODAY + timedelta(days=1))
    page = c.get(OVERVIEW, params={"period": "custom", "from": "2026-02-03", "to": "2026-02-05"}).text
    assert amount_of(page, "kpi-total") == sql_total(db, date(2026, 2, 3), date(2026, 2, 6))
    assert "every day shown is final" in page
    page = c.get(OVERVIEW, params={"period": "custom", "from": "2026-02-05", "to": "2026-02-03"}).text
    assert "The last day (2026-02-03) is before the first (2026-02-05); swap them." in page
    assert "March 2026 to date" in page  # the default period is shown instead
    page = c.get(OVERVIEW, params={"month": "2026-02"}).text
    assert amount_of(page, "kpi-total") == sql_total(db, date(2026, 2, 1), date(2026, 3, 1))
    response = c.get(OVERVIEW, params={"team": "growth", "period": "30d"})
    assert response.status_code == 303 and response.headers["location"].endswith(
        "/finops/overview/teams/growth?period=30d")
    assert c.get(OVERVIEW, params={"period": "year"}).status_code == 422


def test_team_page_by_project_and_model(finops_app, tokens, seeded):
    db = seeded
    c = client(finops_app, tokens["viewer"])
    page = c.get(f"{OVERVIEW}/teams/growth").text
    march = (date(2026, 3, 1), date(2026, 3, 11))
    assert amount_of(page, "kpi-total") == sql_total(db, *march, "team_id = 'growth'")
    projects = dict(re.findall(r'<tr data-key="([\w]+)" data-team="growth">\s*<td>.*?</td>\s*<td class="num" '
                               r'data-amount="([^"]+)"', page, re.S))
    assert {p: Decimal(v) for p, v in projects.items()} == {
        p: sql_total(db, *march, "team_id = 'growth' AND project_id = %s", (p,))
        for p in ("proj_growth1", "proj_growth2", "unassigned")}
    assert "Daily spend by project" in page and 'data-testid="top-teams"' not in page
    assert c.get(f"{OVERVIEW}/teams/nobody").status_code == 404


def test_csv_download_is_exact(finops_app, tokens, seeded):
    db = seeded
    c = client(finops_app, tokens["viewer"])
    response = c.get(f"{OVERVIEW}/export.csv", params={"group": "team", "period": "30d"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["team_id", "usage_date", "currency", "amount"]
    want = db.execute("SELECT team_id, usage_date::text, sum(amount) FROM finops.cost_data WHERE usage_date >= %s "
                      "GROUP BY 1, 2", (TODAY - timedelta(days=29),)).fetchall()
    assert sorted((r["team_id"], r["usage_date"], Decimal(r["amount"])) for r in rows) == sorted(want)
    response = c.get(f"{OVERVIEW}/export.csv", params={"team": "growth", "group": "model"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["team_id", "model", "usage_date", "currency", "amount"]
    assert sum(Decimal(r["amount"]) for r in rows) == sql_total(db, date(2026, 3, 1), date(2026, 3, 11),
                                                                "team_id = 'growth'")
    # By project: the registry's name in a column of its own, right after the ID.
    project = db.execute("SELECT project_id FROM finops.cost_data WHERE team_id = 'growth' AND project_id <> 'unassigned' "
                         "LIMIT 1").fetchone()[0]
    db.execute("INSERT INTO finops.projects (team_id, project_id, name, created_by) VALUES ('growth', %s, 'Web, app', "
               "'test') ON CONFLICT (team_id, provider, project_id) DO UPDATE SET name = 'Web, app'", (project,))
    response = c.get(f"{OVERVIEW}/export.csv", params={"team": "growth", "group": "project"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["team_id", "project_id", "project_name", "usage_date", "currency", "amount"]
    assert {r["project_name"] for r in rows if r["project_id"] == project} == {"Web, app"}


def test_anonymous_is_refused(finops_app, seeded):
    assert client(finops_app, None).get(OVERVIEW).status_code == 401
    assert client(finops_app, None).get(f"{OVERVIEW}/export.csv").status_code == 401


def test_terminal_overview_for_make_demo(seeded):
    from finops.analytics.overview import build_overview
    from finops.analytics.report import month_period
    from finops.analytics.text import overview_text

    db = seeded
    with connect() as conn:
        data = build_overview(conn, month_period("2026-03"), today=TODAY, label="March 2026 to date", month=True,
                              group="team", lookback=2)
    text = overview_text(data, url="http://127.0.0.1:1/finops/overview")
    total = sql_total(db, date(2026, 3, 1), date(2026, 3, 11))
    assert f"spend            {total.quantize(Decimal('0.01')):,.2f} USD" in text
    assert "includes provisional days 2026-03-09..2026-03-10" in text and "restated days    3" in text
    assert text.splitlines()[-1] == "  page: http://127.0.0.1:1/finops/overview"

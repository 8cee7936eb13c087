"""The FinOps overview in a real browser: Debian's chromium (Playwright) against a real ``airflow api-server``.

Admin and viewer open the overview from Airflow's navigation (inside the UI's iframe), switch grouping
and period, open a team, download the CSV, and every number checked is compared with SQL over cost_data.
Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from test_ui_browser import ARTIFACTS, log_in

from finops.alerts.budgets import set_budget
from finops.analytics.restatements import record_restatements
from finops.analytics.rollups import refresh_rollups
from finops.costs.models import CostRow
from finops.warehouse.db import connect
from finops.warehouse.loader import Window, replace_window

ITEMS = ("gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06, cached input", "gpt-4o-mini-2024-07-18, output",
         "batch | gpt-4o-mini-2024-07-18, output", "web search tool calls")
TEAMS = {"growth": "Growth team", "search": "Search", "ads": "Ads"}

ROLLUPS_TRUNCATE = ("TRUNCATE finops.line_items, finops.spend_project_daily, "  # spend_daily: a view
                    "finops.spend_project_monthly, "
                    "finops.spend_model_daily")


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f} USD"


def seed(db, today: date) -> None:
    """100 days of costs for three teams, then a re-collection that restates three recent days of growth."""
    db.execute(ROLLUPS_TRUNCATE)  # derived tables, not cascaded from teams
    start = today - timedelta(days=99)
    for n, (team, name) in enumerate(TEAMS.items()):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, name))
        rows = [CostRow(start + timedelta(days=d), project, item, "usd",
                        Decimal(n + 1) * Decimal(d % 7 + 1 + i) * Decimal("0.7130804383403075"), Decimal(1),
                        "tokens", "org")
                for d in range(100) for project in (f"proj_{team}", "unassigned") for i, item in enumerate(ITEMS)]
        _load(team, Window(start, today + timedelta(days=1)), rows)
    recent = Window(today - timedelta(days=4), today - timedelta(days=1))
    _load("growth", recent, [CostRow(recent.start + timedelta(days=d), "proj_growth", ITEMS[0], "usd",
                                     Decimal("123.456789"), Decimal(1), "tokens", "org") for d in range(3)])


def _load(team: str, window: Window, rows: list[CostRow]) -> None:
    result = replace_window(team, window, iter(rows), dag_run_id="manual__seed", started_at=datetime.now(UTC))
    with connect() as conn:
        refresh_rollups(conn, "openai", team, window.start, window.end)
        record_restatements(conn, "openai", team, result.run_id)


def total(db, start: date, end: date, team: str | None = None) -> Decimal:
    return db.execute("SELECT coalesce(sum(amount), 0) FROM finops.cost_data WHERE usage_date >= %s "
                      "AND usage_date < %s AND (%s::text IS NULL OR team_id = %s)",
                      (start, end, team, team)).fetchone()[0]


def open_overview(page):
    """Click FinOps in Airflow's navigation: the overview opens inside the UI's iframe."""
    page.get_by_test_id("nav-sidebar").get_by_role("link", name="FinOps", exact=True).click()
    page.wait_for_url("**/plugin/finops")
    frame = page.frame_locator("iframe")
    frame.locator("h1", has_text="FinOps overview").wait_for()
    return frame


def figure(frame, testid: str) -> str:
    return frame.locator(f"[data-testid={testid}] .figure").inner_text()


def shoot(page, name: str, full: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full)


def test_overview_from_the_navigation_as_admin_and_viewer(api_server, browser, db, tmp_path):  # noqa: F811
    today = datetime.now(UTC).date()
    seed(db, today)
    set_budget("growth", "1000", "test", today=today)
    month_start, tomorrow = today.replace(day=1), today + timedelta(days=1)

    page = log_in(browser, api_server, "admin")
    frame = open_overview(page)
    assert figure(frame, "kpi-total") == money(total(db, month_start, tomorrow))
    assert frame.locator("[data-testid=manage-link]").inner_text() == "Manage teams and keys"
    # the budget panel: month to date through yesterday (what the alerts evaluate), as SQL sums it
    assert frame.locator("[data-testid=budget-status] tr[data-team=growth] td.num").first.inner_text() == money(
        total(db, month_start, today, "growth"))
    restated_this_month = [d for d in (today - timedelta(days=n) for n in (4, 3, 2)) if d >= month_start]
    assert frame.locator("[data-testid=restated] tbody tr").count() == len(restated_this_month)
    assert frame.locator("[data-testid=restated-mark]").count() == len(restated_this_month)
    shoot(page, "overview-admin.png")

    # switch the grouping to model, then the period to the last 90 days
    frame.locator("[data-testid=grouping] a", has_text="model").click()
    frame.locator("h2", has_text="Daily spend by model").wait_for()
    assert "gpt-4o-mini-2024-07-18" in frame.locator("[data-testid=legend]").inner_text()
    frame.locator("[data-testid=quick-periods] a", has_text="Last 90 days").click()
    frame.locator("[data-testid=quick-periods] .current", has_text="Last 90 days").wait_for()
    ninety = today - timedelta(days=89)
    assert figure(frame, "kpi-total") == money(total(db, ninety, tomorrow))
    assert frame.locator("h2", has_text="Daily spend by model").count() == 1  # the grouping was kept
    shoot(page, "overview-model-90d.png")

    # the CSV of what the chart shows: exact and equal to SQL
    with page.expect_download() as download:
        frame.locator("[data-testid=csv-link]").click()
    path = tmp_path / "overview.csv"
    download.value.save_as(path)
    records = list(csv.DictReader(io.StringIO(path.read_text())))
    assert list(records[0]) == ["model", "usage_date", "currency", "amount"]
    assert sum((Decimal(r["amount"]) for r in records), Decimal(0)) == total(db, ninety, tomorrow)

    # open a team from the top list: its page keeps the period and shows its own numbers
    frame.locator("[data-testid=top-teams] a", has_text="Growth team").click()
    frame.locator("h1", has_text="Growth team").wait_for()
    assert figure(frame, "kpi-total") == money(total(db, ninety, tomorrow, "growth"))
    projects = frame.locator("[data-testid=top-projects] tbody tr")
    assert projects.count() == 2
    assert frame.locator("[data-testid=top-projects] tr[data-key=unassigned] td.num").first.inner_text() == money(
        db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = 'growth' AND project_id = 'unassigned' "
                   "AND usage_date >= %s", (ninety,)).fetchone()[0]).removesuffix(" USD")
    shoot(page, "overview-team.png")

    # the whole page on its own (outside the iframe) for a reviewer
    standalone = page.context.new_page()
    standalone.goto(api_server.base_url + "/finops/overview")
    standalone.locator("[data-testid=stacked-chart]").wait_for()
    shoot(standalone, "overview-standalone-full.png", full=True)

    # the viewer reads the same numbers; the management page is one click away and read-only
    viewer = log_in(browser, api_server, "viewer")
    frame = open_overview(viewer)
    assert figure(frame, "kpi-total") == money(total(db, month_start, tomorrow))
    assert frame.locator("form[method=post]").count() == 0
    shoot(viewer, "overview-viewer.png")
    frame.locator("[data-testid=manage-link]").click()
    frame.locator("[data-testid=mode]", has_text="read-only").wait_for()
    assert frame.locator("form[method=post]").count() == 0

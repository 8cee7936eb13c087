"""The FinOps page in a real browser: Debian's chromium (Playwright) against a real ``airflow api-server``.

The server runs with the plugin, the simple auth manager (admin and viewer with generated
passwords), the test warehouse, moto's KMS and the simulator. Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from simulator_fixtures import HEALTHY

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
UI_TIMEOUT_MS = 30_000


def log_in(browser, server, user: str):
    """A new browser context logged in through Airflow's login page; returns its page."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.goto(server.base_url + "/")
    page.wait_for_url("**/auth/login**")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(server.passwords[user])
    page.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
    return page


def open_finops_from_navigation(page):
    """Click the FinOps entry in Airflow's navigation (it opens the spend overview), then the team list's link."""
    page.get_by_test_id("nav-sidebar").get_by_role("link", name="FinOps", exact=True).click()
    page.wait_for_url("**/plugin/finops")
    frame = page.frame_locator("iframe")
    frame.locator("[data-testid=manage-link]").click()
    frame.locator("[data-testid=mode]").wait_for()
    return frame


def open_team(frame, name: str):
    """One click on the team's name in the list opens its management page."""
    frame.locator("[data-testid=team-link]", has_text=name).click()
    frame.locator("[data-testid=team-list-link]").wait_for()
    return frame


def seed_collection(db, simulator, team_id: str, project_ids: list[str]) -> None:
    """What the daily DAG would have written: 30 days of the simulator's costs and a failed attempt."""
    today = datetime.now(UTC).date()
    start = today - timedelta(days=30)
    for (day, project_id, line_item, currency), amount in simulator.expected(HEALTHY, start, today, project_ids).items():
        db.execute(
            "INSERT INTO finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, collected_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, now())", (team_id, day, project_id, line_item, currency, amount))
    db.execute(
        "INSERT INTO finops.collection_runs (team_id, window_start, window_end, status, error, started_at, finished_at) "
        "VALUES (%s, %s, %s, 'success', NULL, now(), now() - interval '2 days'), "
        "       (%s, %s, %s, 'failed', 'The Costs API answered HTTP 503 four times; the run will retry.', now(), now())",
        (team_id, start, today, team_id, today - timedelta(days=6), today - timedelta(days=5)))


def shoot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path


def test_admin_manages_a_team_and_viewer_sees_it_read_only(api_server, browser, simulator, db):
    key = simulator.key(HEALTHY)
    page = log_in(browser, api_server, "admin")
    frame = open_finops_from_navigation(page)

    frame.locator("[data-testid=add-team-form] input[name=team_id]").fill("growth")
    frame.locator("[data-testid=add-team-form] input[name=name]").fill("Growth team")
    frame.locator("[data-testid=add-team-form] button[type=submit]").click()
    frame.locator("[data-testid=flash]", has_text="Team growth (Growth team) is registered").wait_for()

    card = frame.locator("[data-team=growth]")  # adding a team opens its page
    key_input = card.locator("[data-testid=key-form] input[name=admin_key]")
    assert key_input.get_attribute("type") == "password" and key_input.get_attribute("autocomplete") == "off"
    key_input.fill(key)
    card.locator("[data-testid=key-form] button[type=submit]").click()
    frame.locator("[data-testid=flash]", has_text="verified live").wait_for()

    card.locator("[data-testid=project-form] input[name=project_id]").fill("proj_healthyWeb")
    card.locator("[data-testid=project-form] button[type=submit]").click()
    frame.locator("[data-testid=flash]", has_text="proj_healthyWeb (Web)").wait_for()

    seed_collection(db, simulator, "growth", ["proj_healthyWeb"])
    from finops.analytics.rollups import rebuild

    with db.transaction():  # rebuild takes the recompute's lock, which needs a transaction block
        rebuild(db)
    frame.locator("body").evaluate("() => window.location.assign(window.location.pathname)")
    frame.locator("[data-testid=stacked-chart] .legend-toggle").first.wait_for()
    assert frame.locator("[data-team=growth] [data-state=failed]").get_attribute("title").endswith(
        "The Costs API answered HTTP 503 four times; the run will retry.")

    redacted = f"sk-admin...{key[-4:]}"
    assert card.locator("[data-testid=active-key] .redacted").inner_text() == redacted
    assert "Web" in card.locator("[data-testid=projects]").inner_text()
    assert "Web" in card.locator("[data-testid=legend]").inner_text(), "the chart's legend names the project"
    assert card.locator("[data-testid=key-form] input[name=admin_key]").input_value() == ""
    assert key not in frame.locator("html").inner_html()
    assert card.locator("[data-testid=audit] li").count() == 3
    assert db.execute("SELECT created_by FROM finops.admin_keys WHERE status = 'active'").fetchone()[0] == "airflow:admin"
    # Destructive actions sit apart, each behind a confirmation box the server checks.
    danger = card.locator("[data-testid=danger-zone]")
    assert danger.locator("[data-testid=revoke-form]").count() == 1 and danger.locator("[data-testid=deactivate-form]").count() == 1
    assert card.locator("[data-testid=keys-section] [data-testid=revoke-form]").count() == 0
    shoot(page, "finops-admin.png")

    viewer_page = log_in(browser, api_server, "viewer")
    viewer_frame = open_team(open_finops_from_navigation(viewer_page), "Growth team")
    viewer_card = viewer_frame.locator("[data-team=growth]")
    assert viewer_card.locator("[data-testid=active-key] .redacted").inner_text() == redacted
    assert viewer_frame.locator("form").count() == 0
    assert viewer_frame.locator("input[type=password]").count() == 0
    assert viewer_frame.locator("[data-testid=mode]").inner_text() == "read-only"
    shoot(viewer_page, "finops-viewer.png")

    # The whole team page on its own, for a reviewer who wants to see every section.
    full = page.context.new_page()
    full.goto(api_server.base_url + "/finops/teams/growth")
    full.locator("[data-team=growth]").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    full.screenshot(path=str(ARTIFACTS / "finops-page-full.png"), full_page=True)

    # Many teams: 25 a page, paging links, sorting and a search box, in the browser.
    from finops.registry import Registry

    registry = Registry()
    for n in range(30):
        registry.add_team(f"bulk{n:02d}", "test", name=f"Bulk {n:02d}")
    full.goto(api_server.base_url + "/finops/")
    rows = full.locator("table.team-list tbody tr")
    assert rows.count() == 25
    full.get_by_role("link", name="next").click()
    full.locator("[data-testid=pager-status]", has_text="Page 2 of 2").wait_for()
    assert rows.count() == 6  # growth and 30 bulk teams
    full.locator("th a[data-sort=spend]").click()
    full.wait_for_url("**sort=spend**")
    assert rows.first.get_attribute("data-team") == "growth", "the only team with spend comes first"
    full.get_by_label("Find a team").fill("BULK 1")
    full.get_by_role("button", name="Find").click()
    full.locator("[data-testid=pager-status]", has_text="10 of 31 active teams match").wait_for()
    assert [rows.nth(i).get_attribute("data-team") for i in range(10)] == [f"bulk{n}" for n in range(10, 20)]
    full.screenshot(path=str(ARTIFACTS / "finops-page-search.png"), full_page=False)

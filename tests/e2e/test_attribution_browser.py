"""Top keys and owners and a key's page in a real browser (Debian's chromium) against a real ``airflow
api-server``, as admin and viewer: the keys' amounts equal SQL over cost_data, allocated amounts are marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from simulator_fixtures import A_HEALTHY, HEALTHY, KEY_WEB
from test_ui_browser import ARTIFACTS, log_in

from finops import collection
from finops.registry import Registry
from finops.warehouse.loader import Window

ACTOR = "cli:e2e"


@pytest.fixture
def keyed(db, kms_endpoint, simulator):
    """Team ``web`` (org-healthy, per-key costs) and ``claude`` (anth-healthy Chat, allocated) over the last 5 days."""
    today = datetime.now(UTC).date()
    window = Window(today - timedelta(days=5), today)
    registry = Registry()
    registry.add_team("web", ACTOR)
    registry.register_key("web", simulator.key(HEALTHY), ACTOR, verify=False)
    for pid in simulator.project_ids(HEALTHY):
        registry.add_project("web", pid, ACTOR, verify=False)
    registry.add_team("claude", ACTOR)
    registry.register_key("claude", simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
    registry.add_project("claude", "wrkspc_healthyChat", ACTOR, verify=False, provider="anthropic")
    simulator.set_today(None)
    collection.collect_team("web", window, dag_run_id="browser")
    collection.collect_team("claude", window, dag_run_id="browser", provider="anthropic")
    return db


@pytest.mark.parametrize("who", ["admin", "viewer"])
def test_top_keys_and_a_key_page_as_admin_and_viewer(api_server, browser, keyed, who):
    page = log_in(browser, api_server, who)
    page.get_by_test_id("nav-sidebar").get_by_role("link", name="FinOps", exact=True).click()
    page.wait_for_url("**/plugin/finops")
    frame = page.frame_locator("iframe")
    frame.locator("[data-testid=quick-periods] a", has_text="Last 30 days").click()  # whatever the day of the month
    frame.locator("[data-testid=quick-periods] .current", has_text="Last 30 days").wait_for()
    panel = frame.locator("[data-testid=top-keys]")
    panel.wait_for()
    web = panel.locator(f"tr[data-key={KEY_WEB}]")
    assert "alice@example.com" in web.inner_text() and "sk-proj-****" in web.inner_text()
    shown = Decimal(web.locator("td.num").first.get_attribute("data-amount"))
    assert shown == keyed.execute("SELECT sum(amount) FROM finops.cost_data WHERE api_key_id = %s "
                                  "AND usage_date > (now() AT TIME ZONE 'UTC')::date - 30", (KEY_WEB,)).fetchone()[0]
    assert panel.locator("[data-testid=allocated]").count() > 0  # Anthropic's keys: allocated, and labelled
    page.screenshot(path=str(ARTIFACTS / f"top-keys-{who}.png"), full_page=True)

    web.locator("a").first.click()
    frame.locator("h1", has_text="API key web-frontend").wait_for()
    days = frame.locator("[data-testid=key-days] td.num[data-amount]")
    total = sum(Decimal(days.nth(i).get_attribute("data-amount")) for i in range(days.count()))
    assert total == shown
    assert "alice@example.com" in frame.locator("[data-testid=key-facts]").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"key-page-{who}.png"), full_page=True)

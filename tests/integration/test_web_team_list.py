"""The team list: one row per team with its keys, last collection, spend (equal to SQL), budget and alerts;
searched, sorted either way and paged 25 at a time, through Airflow's own app with real PostgreSQL.
"""
# ruff: noqa: F811 - the fixtures are imported from test_web_routes

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from test_web_routes import PAGE, admin, airflow_app, rebuild_rollups, services, tokens, viewer  # noqa: F401

pytestmark = pytest.mark.usefixtures("viewer_reads_every_team")


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-team="([^"]+)"', page)


def row(page: str, team_id: str) -> str:
    start = page.index(f'<tr data-team="{team_id}"')
    return page[start:page.index("</tr>", start)]


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f} USD"


def test_rows_show_keys_collection_spend_budget_and_alerts(admin, db):
    from finops.alerts.budgets import set_budget
    from finops.registry import Registry

    today = datetime.now(UTC).date()
    registry = Registry()
    registry.add_team("growth", "test", name="Growth team")
    registry.add_team("search", "test", name="Search")
    for offset, amount in [(0, "10.005"), (3, "0.1234567890123456789012345678901"), (45, "999")]:
        db.execute("INSERT INTO finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, "
                   "collected_at) VALUES ('growth', %s, 'proj_a', 'gpt-4o, input', 'usd', %s, now())",
                   (today - timedelta(days=offset), Decimal(amount)))
    rebuild_rollups(db)
    db.execute("INSERT INTO finops.collection_runs (team_id, window_start, window_end, status, error, started_at, "
               "finished_at) VALUES ('growth', %s, %s, 'failed', 'boom', now(), now())", (today, today + timedelta(1)))
    db.execute("INSERT INTO finops.alerts (kind, team_id, message) VALUES ('budget', 'growth', 'x'), "
               "('anomaly', 'growth', 'y')")
    set_budget("growth", "40", "test", today=today)

    page = admin.page()
    growth = row(page, "growth")
    last_30 = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = 'growth' AND usage_date >= %s",
                         (today - timedelta(days=29),)).fetchone()[0]
    month = db.execute("SELECT coalesce(sum(amount), 0) FROM finops.cost_data WHERE team_id = 'growth' "
                       "AND usage_date >= %s", (today.replace(day=1),)).fetchone()[0]
    amounts = re.findall(r'<td class="num" data-amount="([^"]+)">([^<]*)<', growth)
    assert Decimal(amounts[0][0]) == last_30 and amounts[0][1] == money(last_30), "exact, as SQL sums it"
    assert Decimal(amounts[1][0]) == month
    assert "of 40.00 USD" in growth and '<span class="badge badge-warn">2</span>' in growth
    assert ">no key<" in growth and ">failed<" in growth
    assert "Growth team" in growth and '<code class="id">growth</code>' in growth
    assert 'href="/finops/teams/growth"' in growth
    assert "never collected" in row(page, "search") and "no budget" in row(page, "search")


def test_search_sort_and_pages(admin, viewer, db):
    from finops.registry import Registry

    registry = Registry()
    for n in range(30):
        registry.add_team(f"team{n:02d}", "test", name=f"Team {29 - n:02d}")  # names run the other way
    today = datetime.now(UTC).date()
    for n in (3, 17):
        db.execute("INSERT INTO finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, "
                   "collected_at) VALUES (%s, %s, 'proj_a', 'gpt-4o, input', 'usd', %s, now())",
                   (f"team{n:02d}", today, Decimal(n)))
    rebuild_rollups(db)

    first = admin.page()  # by name: "Team 00" is team29
    assert rows(first) == [f"team{n:02d}" for n in range(29, 4, -1)] and "Page 1 of 2" in first
    assert 'aria-sort="ascending"' in first and 'rel="next"' in first
    second = admin.get(PAGE, params={"page": "2"}).text
    assert rows(second) == [f"team{n:02d}" for n in range(4, -1, -1)]
    assert rows(admin.get(PAGE, params={"page": "9"}).text) == rows(second)  # past the end: the last page

    by_spend = admin.get(PAGE, params={"sort": "spend", "order": "desc"}).text
    assert rows(by_spend)[:3] == ["team17", "team03", "team00"], "biggest first, then ties by team id"
    assert rows(admin.get(PAGE, params={"sort": "team", "order": "desc"}).text)[0] == "team29"
    assert 'href="/finops/?q=&amp;sort=spend&amp;order=asc"' in by_spend, "the header link flips the order"
    assert admin.get(PAGE, params={"sort": "colour"}).status_code == 422

    found = admin.get(PAGE, params={"q": "TEAM 1", "sort": "team"}).text  # names "Team 10".."Team 19", any case
    assert rows(found) == [f"team{n:02d}" for n in range(10, 20)]
    assert "10 of 30 active teams match" in html.unescape(found)
    assert 'name="sort" value="team"' in found, "a search keeps the sort"
    assert "No active team matches" in html.unescape(admin.get(PAGE, params={"q": "<none>"}).text)
    assert rows(viewer.page()) == rows(first)

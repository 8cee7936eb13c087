"""Top keys and owners on the overview and a team's page, and a key's own page, as admin and viewer, through
Airflow's own app against the real warehouse and the simulator (docs/attribution.md)."""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal

import pytest
from simulator_fixtures import A_HEALTHY, A_KEY_BOT, HEALTHY, KEY_SPIKY, KEY_WEB

from finops import collection
from finops.registry import Registry
from finops.warehouse.loader import Window

pytestmark = pytest.mark.usefixtures("viewer_reads_every_team")

os.environ.setdefault("AIRFLOW__CORE__AUTH_MANAGER",
                      "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")

TODAY = date(2026, 3, 14)
WINDOW = Window(date(2026, 3, 8), date(2026, 3, 13))
ACTOR = "cli:test"


def client(app, token: str):
    from fastapi.testclient import TestClient

    c = TestClient(app, follow_redirects=False)
    c.cookies.set("_token", token)
    return c


@pytest.fixture
def loaded(db, kms_endpoint, simulator):
    registry = Registry()
    registry.add_team("web", ACTOR)
    registry.register_key("web", simulator.key(HEALTHY), ACTOR, verify=False)
    for pid in simulator.project_ids(HEALTHY):
        registry.add_project("web", pid, ACTOR, verify=False)
    registry.add_team("claude", ACTOR)
    registry.register_key("claude", simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
    registry.add_project("claude", "wrkspc_healthyChat", ACTOR, verify=False, provider="anthropic")
    simulator.set_today(None)
    collection.collect_team("web", WINDOW, dag_run_id="web-1")
    collection.collect_team("claude", WINDOW, dag_run_id="web-1", provider="anthropic")
    return db


def section(page: str, testid: str) -> str:
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', page, re.S)
    assert match, f"no {testid} section"
    return match.group(0)


@pytest.mark.parametrize("who", ["admin", "viewer"])
def test_top_keys_and_owners_on_the_overview_and_the_team_page(finops_app, tokens, loaded, who):
    c = client(finops_app, tokens[who])
    page = c.get("/finops/overview", params={"month": "2026-03"})
    assert page.status_code == 200, page.text[:500]
    panel = section(page.text, "top-keys")
    for words in ("web-frontend", "alice@example.com", "sk-proj-****", "batch-runner", "allocated", "chat-bot"):
        assert words in panel
    shown = {k: Decimal(a) for k, a in re.findall(r'<tr data-key="([^"]+)"[^>]*>.*?data-amount="([^"]+)"', panel, re.S)}
    sql = dict(loaded.execute("SELECT api_key_id, sum(amount) FROM finops.cost_data WHERE api_key_id IS NOT NULL "
                              "GROUP BY 1").fetchall())
    assert shown and all(sql[k] == v for k, v in shown.items())
    assert 'data-reason="not reported per key"' in panel  # spend with no key stays visible, with its reason

    team = c.get("/finops/overview/teams/web", params={"month": "2026-03"})
    assert team.status_code == 200
    team_panel = section(team.text, "top-keys")
    assert KEY_WEB in team_panel and A_KEY_BOT not in team_panel  # only the team's own keys


@pytest.mark.parametrize("who", ["admin", "viewer"])
def test_a_key_page_shows_its_daily_spend_models_and_owner(finops_app, tokens, loaded, who):
    c = client(finops_app, tokens[who])
    page = c.get(f"/finops/overview/teams/web/keys/openai/{KEY_SPIKY}", params={"month": "2026-03"})
    assert page.status_code == 200, page.text[:500]
    assert "nightly-batch" in page.text and "batch-runner" in page.text and "sk-proj-****" in page.text
    days = section(page.text, "key-days")
    total = sum(Decimal(a) for a in re.findall(r'data-amount="([^"]+)"', days))
    assert total == loaded.execute("SELECT sum(amount) FROM finops.cost_data WHERE api_key_id = %s",
                                   (KEY_SPIKY,)).fetchone()[0]
    assert "gpt-4o" in section(page.text, "key-models")
    claude = c.get(f"/finops/overview/teams/claude/keys/anthropic/{A_KEY_BOT}", params={"month": "2026-03"})
    assert claude.status_code == 200 and 'data-testid="allocated-note"' in claude.text
    assert c.get("/finops/overview/teams/nobody/keys/openai/key_x").status_code == 404


def test_the_keys_csv_equals_sql_and_keeps_the_allocated_marker(finops_app, tokens, loaded):
    import csv
    import io

    c = client(finops_app, tokens["viewer"])
    page = c.get("/finops/overview/teams/claude", params={"month": "2026-03"})
    link = re.search(r'href="([^"]+)" data-testid="keys-csv"', page.text).group(1).replace("&amp;", "&")
    answer = c.get(link)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["team_id"] for r in rows} == {"claude"}
    assert {r["allocated"] for r in rows if r["api_key_id"] == A_KEY_BOT} == {"True"}
    got = sum(Decimal(r["amount"]) for r in rows)
    assert got == loaded.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = 'claude' "
                                 "AND usage_date >= '2026-03-01' AND usage_date < '2026-04-01'").fetchone()[0]

"""The top keys, owners and unattributed panel read from the key rollups (spend_key_daily, spend_key_monthly)
equals its first read of cost_data (``key_spend.sql``) to the last digit, for every period shape (whole months,
days of a month, ranges across months), team, provider, reader's teams and currency (docs/attribution.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from simulator_fixtures import A_HEALTHY, HEALTHY
from test_analytics_rollups import assert_rollups_equal_cost_data

from finops import collection
from finops.attribution.panel import _month_plan, key_panel, key_panel_from_cost_data
from finops.costs.models import CostRow
from finops.registry import Registry
from finops.warehouse.db import connect
from finops.warehouse.loader import Window, replace_window

ACTOR = "cli:test"
WINDOW = Window(date(2026, 2, 25), date(2026, 3, 6))  # across a month's end: monthly rows and daily ranges
PERIODS = [(date(2026, 2, 1), date(2026, 3, 1)), (date(2026, 3, 1), date(2026, 4, 1)),
           (date(2026, 2, 27), date(2026, 3, 3)), (date(2026, 3, 2), date(2026, 3, 5)),
           (date(2026, 1, 1), date(2026, 4, 1)), (date(2026, 2, 26), date(2026, 4, 1)),
           (date(2026, 4, 1), date(2026, 5, 1))]


def assert_same_panels(scopes) -> None:
    with connect() as conn:
        for start, end in PERIODS:
            for scope in scopes:
                new = key_panel(conn, start, end, **scope)
                old = key_panel_from_cost_data(conn, start, end, **scope)
                assert new == old, (start, end, scope)
                # to the last digit: the same decimal text, not only equal values
                for a, b in zip([new.total, *(k.amount for k in new.keys + new.owners + new.unattributed)],
                                [old.total, *(k.amount for k in old.keys + old.owners + old.unattributed)],
                                strict=True):
                    assert str(a) == str(b), (start, end, scope)


def test_month_plan_reads_whole_months_monthly_and_the_rest_daily():
    assert _month_plan(date(2026, 3, 1), date(2026, 4, 1)) == ([date(2026, 3, 1)], [])
    assert _month_plan(date(2026, 2, 27), date(2026, 4, 3)) == (
        [date(2026, 3, 1)], [(date(2026, 2, 27), date(2026, 3, 1)), (date(2026, 4, 1), date(2026, 4, 3))])
    assert _month_plan(date(2026, 3, 2), date(2026, 3, 5)) == ([], [(date(2026, 3, 2), date(2026, 3, 5))])
    assert _month_plan(date(2025, 12, 1), date(2026, 2, 1)) == ([date(2025, 12, 1), date(2026, 1, 1)], [])


@pytest.fixture
def collected(db, kms_endpoint, simulator):
    """``web`` (OpenAI per-key costs) and ``claude`` (Anthropic, allocated over keys) over WINDOW."""
    registry = Registry()
    registry.add_team("web", ACTOR)
    registry.register_key("web", simulator.key(HEALTHY), ACTOR, verify=False)
    for pid in simulator.project_ids(HEALTHY):
        registry.add_project("web", pid, ACTOR, verify=False)
    registry.add_team("claude", ACTOR)
    registry.register_key("claude", simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
    for scope in ("wrkspc_healthyChat", "default"):
        registry.add_project("claude", scope, ACTOR, verify=False, provider="anthropic")
    simulator.set_today(None)
    collection.collect_team("web", WINDOW, dag_run_id="panel-1")
    collection.collect_team("claude", WINDOW, dag_run_id="panel-1", provider="anthropic")
    yield db
    simulator.set_today(None)


def test_the_rollup_panel_equals_the_cost_data_panel_on_collected_keys(collected):
    db = collected
    assert db.execute("SELECT count(*) FROM finops.cost_data WHERE api_key_id IS NOT NULL").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM finops.cost_data WHERE allocated").fetchone()[0] > 0
    # Anthropic's allocated parts reach the key rollups through the collection's batches like any cost row
    assert_rollups_equal_cost_data(db)
    assert db.execute("SELECT count(*) FROM finops.spend_key_daily WHERE allocated").fetchone()[0] > 0
    assert_same_panels([{}, {"team_id": "web"}, {"team_id": "claude"}, {"provider": "openai"},
                        {"provider": "anthropic"}, {"teams": ["web"]}, {"teams": []}, {"currency": "eur"},
                        {"team_id": "web", "provider": "anthropic"}])
    # a rerun that changes what the keys spent: still equal
    collection.collect_team("web", Window(date(2026, 3, 1), date(2026, 3, 3)), dag_run_id="panel-2")
    collection.collect_team("claude", Window(date(2026, 2, 27), date(2026, 3, 2)), dag_run_id="panel-2",
                            provider="anthropic")
    assert_rollups_equal_cost_data(db)
    assert_same_panels([{}, {"team_id": "web"}, {"provider": "anthropic"}])


def test_ties_unnamed_and_unknown_keys_and_no_last_use_match_too(db):
    """Keys of equal amounts (ranked by label as Python sorts), a key with no api_keys row, one with an empty name,
    owners shared by keys across teams and providers, keys with no last use (their last day with spend)."""
    for team in ("alpha", "beta"):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, team))
    keys = [("k_a", "Zed", "ops@example.com", None), ("k_b", "alpha", "ops@example.com", datetime(2026, 3, 2, tzinfo=UTC)),
            ("k_c", "", "", None), ("k_d", "Émile", None, None), ("k_e", "alpha", "dev@example.com", None)]
    for team in ("alpha", "beta"):
        for key_id, name, owner, last_used in keys:
            db.execute("INSERT INTO finops.api_keys (provider, team_id, api_key_id, project_id, name, owner_email, "
                       "status, last_used_at, first_seen_at, last_seen_at) VALUES ('openai', %s, %s, 'proj_x', %s, "
                       "%s, 'active', %s, now(), now())", (team, key_id, name, owner, last_used))
    items = ("gpt-4o-2024-08-06, input", "web search tool calls")
    for team in ("alpha", "beta"):
        rows = []
        for d in range(9):
            day = WINDOW.start + timedelta(days=d)
            for item in items:
                for key in ("k_a", "k_b", "k_c", "k_d", "k_e", "k_unlisted", None):
                    if key in ("k_d", "k_e") and d % 3:
                        continue
                    rows.append(CostRow(day, "proj_x", item, "usd", Decimal("0.125000000000001"), Decimal(1), None,
                                        "org", api_key_id=key))
                rows.append(CostRow(day, "unassigned", item, "usd", Decimal("1.10"), None, None, "org"))
                rows.append(CostRow(day, "proj_x", item, "eur", Decimal("2.5"), None, None, "org", api_key_id="k_a"))
        replace_window(team, WINDOW, iter(rows), dag_run_id="t", started_at=datetime.now(UTC))
    assert_same_panels([{}, {"team_id": "alpha"}, {"currency": "eur"}, {"provider": "anthropic"}])

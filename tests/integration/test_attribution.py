"""Attribution by API key against the simulator over HTTP and a real PostgreSQL (docs/attribution.md).

Per-key OpenAI costs add up exactly to the per-project costs of the same day (and to what the collector loaded
before it grouped by key); Anthropic's allocation adds up exactly to each workspace's cost and is labelled; a
deleted key keeps its history; reruns leave identical rows; ``finops report --by api_key`` equals SQL.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from simulator_fixtures import (
    A_HEALTHY,
    A_KEY_ALICE,
    A_KEY_BOT,
    HEALTHY,
    KEY_BATCH,
    KEY_DELETED,
    KEY_OLD,
    KEY_SPIKY,
    KEY_WEB,
)

from finops import collection
from finops.money import add
from finops.registry import Registry
from finops.warehouse.loader import Window

ACTOR = "cli:test"
WINDOW = Window(date(2026, 3, 8), date(2026, 3, 13))
CHAT = "wrkspc_healthyChat"


@pytest.fixture
def registry(db, kms_endpoint, simulator):
    """``web`` (org-healthy, every project) and ``claude`` (anth-healthy: the Chat and default workspaces)."""
    registry = Registry()
    registry.add_team("web", ACTOR)
    registry.register_key("web", simulator.key(HEALTHY), ACTOR, verify=False)
    for pid in simulator.project_ids(HEALTHY):
        registry.add_project("web", pid, ACTOR, verify=False)
    registry.add_team("claude", ACTOR)
    registry.register_key("claude", simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
    for scope in (CHAT, "default"):
        registry.add_project("claude", scope, ACTOR, verify=False, provider="anthropic")
    simulator.set_today(None)
    yield registry
    simulator.set_today(None)


def sums(rows, width: int = 4) -> dict:
    out: dict = defaultdict(Decimal)
    for row in rows:
        out[row[:width]] = add(out[row[:width]], row[-1])
    return dict(out)


def loaded(db, team: str, provider: str = "openai") -> list[tuple]:
    return db.execute(
        "SELECT usage_date, project_id, line_item, currency, api_key_id, allocated, amount FROM finops.cost_data "
        "WHERE team_id = %s AND provider = %s ORDER BY 1, 2, 3, 4, 5 NULLS FIRST", (team, provider)).fetchall()


def test_per_key_costs_add_up_exactly_to_the_per_project_costs_served_before(simulator, costs_client):
    ids = simulator.project_ids(HEALTHY)
    key = simulator.key(HEALTHY)
    by_key = list(costs_client.costs(key, WINDOW.start, WINDOW.end, ids))
    by_project = list(costs_client.costs(key, WINDOW.start, WINDOW.end, ids, by_api_key=False))
    assert {r.api_key_id for r in by_key} >= {KEY_WEB, KEY_SPIKY, KEY_OLD, KEY_BATCH, None}
    assert len(by_key) > len(by_project)
    before = {r.key[:4]: r.amount for r in by_project}  # one row per (day, project, line item, currency)
    after = sums([(*r.key[:4], r.amount) for r in by_key])
    assert after == before  # exactly: Decimal equality, every digit
    assert after == simulator.expected(HEALTHY, WINDOW.start, WINDOW.end, ids)
    quantities = sums([(*r.key[:4], r.quantity) for r in by_key])
    assert quantities == {r.key[:4]: r.quantity for r in by_project}


def test_openai_collection_loads_per_key_rows_whose_day_totals_are_unchanged(registry, db, simulator):
    collection.collect_team("web", WINDOW, dag_run_id="run-1")
    rows = loaded(db, "web")
    expected = simulator.expected(HEALTHY, WINDOW.start, WINDOW.end, simulator.project_ids(HEALTHY))
    assert sums(rows) == expected
    assert not any(r[5] for r in rows)  # OpenAI reports per key: nothing allocated
    # the rollups stay equal to cost_data
    rollup = dict(((d, p), a) for d, p, a in db.execute(
        "SELECT usage_date, project_id, sum(amount) FROM finops.spend_project_daily WHERE team_id = 'web' "
        "GROUP BY 1, 2"))
    assert rollup == sums([(r[0], r[1], r[-1]) for r in rows], width=2)
    keys = {r[0]: r[1:] for r in db.execute(
        "SELECT api_key_id, name, redacted_value, owner_type, owner_email, owner_name, status, project_id "
        "FROM finops.api_keys WHERE team_id = 'web'")}
    assert keys[KEY_WEB][:5] == ("web-frontend", keys[KEY_WEB][1], "user", "alice@example.com", "Alice")
    assert keys[KEY_SPIKY][2:] == ("service_account", None, "batch-runner", "active", "proj_healthyWeb")
    assert all(value.startswith("sk-proj-****") and len(value) == 16 for _, value, *_ in keys.values())


def test_spiking_key_takes_the_spike_and_the_day_total_stays_exact(registry, db):
    collection.collect_team("web", WINDOW, dag_run_id="run-1")
    per_key = dict(((d, k), a) for d, k, a in db.execute(
        "SELECT usage_date, api_key_id, sum(amount) FROM finops.cost_data WHERE team_id = 'web' "
        "AND project_id = 'proj_healthyWeb' GROUP BY 1, 2"))
    spike, before = date(2026, 3, 10), date(2026, 3, 9)
    share = {d: per_key[(d, KEY_SPIKY)] / sum(a for (day, _), a in per_key.items() if day == d)
             for d in (spike, before)}
    assert share[spike] > 3 * share[before]


def test_anthropic_allocation_adds_up_exactly_to_the_workspace_cost_and_is_labelled(registry, db, simulator):
    collection.collect_team("claude", WINDOW, dag_run_id="run-1", provider="anthropic")
    rows = loaded(db, "claude", "anthropic")
    kept, _ = simulator.anthropic_expected(A_HEALTHY, WINDOW.start, WINDOW.end, [CHAT, "default"])
    assert sums(rows) == kept  # every (day, workspace, description) exactly its billed amount
    chat_tokens = [r for r in rows if r[1] == CHAT and r[5]]
    assert chat_tokens and {r[4] for r in chat_tokens} == {A_KEY_ALICE, A_KEY_BOT}
    # allocated rows carry a key and the marker; rows with no usage behind them stay billed, with no key
    assert all(r[4] is not None for r in rows if r[5])
    unallocated = [r for r in rows if not r[5]]
    assert unallocated and all(r[4] is None for r in unallocated)
    assert {r[2] for r in unallocated} <= {"Web Search Usage", "Code Execution Usage"}
    # in proportion to their tokens (7:3 in the simulator), to the last digit of the rule
    day_rows = [r for r in chat_tokens if r[2] == "Claude Sonnet 4 Usage - Output Tokens"]
    alice = sum(r[-1] for r in day_rows if r[4] == A_KEY_ALICE)
    bot = sum(r[-1] for r in day_rows if r[4] == A_KEY_BOT)
    assert abs(alice / (alice + bot) - Decimal("0.7")) < Decimal("0.0001")


def test_a_deleted_key_keeps_its_history_and_reruns_are_identical(registry, db, simulator):
    before = Window(KEY_DELETED - timedelta(days=3), KEY_DELETED)
    simulator.set_today(KEY_DELETED - timedelta(days=1))
    collection.collect_team("web", before, dag_run_id="run-1")
    assert db.execute("SELECT status, name FROM finops.api_keys WHERE api_key_id = %s", (KEY_OLD,)).fetchone() == (
        "active", "old-laptop")
    old_spend = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE api_key_id = %s", (KEY_OLD,)).fetchone()[0]
    assert old_spend > 0

    after = Window(KEY_DELETED, KEY_DELETED + timedelta(days=3))
    simulator.set_today(KEY_DELETED + timedelta(days=4))
    collection.collect_team("web", after, dag_run_id="run-2")
    status, name, deleted_at = db.execute(
        "SELECT status, name, deleted_at FROM finops.api_keys WHERE api_key_id = %s", (KEY_OLD,)).fetchone()
    assert (status, name) == ("deleted", "old-laptop") and deleted_at is not None
    assert db.execute("SELECT field, old_value, new_value FROM finops.api_key_changes WHERE api_key_id = %s",
                      (KEY_OLD,)).fetchall() == [("status", "active", "deleted")]
    assert db.execute("SELECT sum(amount) FROM finops.cost_data WHERE api_key_id = %s", (KEY_OLD,)).fetchone()[0] == (
        old_spend)  # its past spend is kept, and it spends nothing after its deletion
    first = loaded(db, "web")
    collection.collect_team("web", after, dag_run_id="run-3")
    assert loaded(db, "web") == first


def test_report_by_api_key_and_owner_equal_sql_over_cost_data(registry, db, capsys):
    from finops.cli import main

    collection.collect_team("web", WINDOW, dag_run_id="run-1")
    collection.collect_team("claude", WINDOW, dag_run_id="run-1", provider="anthropic")
    capsys.readouterr()  # the collections' log lines
    period = ["--from", WINDOW.start.isoformat(), "--to", (WINDOW.end - timedelta(days=1)).isoformat()]
    assert main(["report", "--by", "api_key", *period, "--format", "csv"]) == 0
    records = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(records[0]) == ["api_key_id", "key_name", "redacted_value", "owner", "allocated",
                                "unattributed_reason", "currency", "amount"]
    got = defaultdict(Decimal)
    for r in records:
        got[r["api_key_id"] or None] = add(got[r["api_key_id"] or None], Decimal(r["amount"]))
    sql = dict(db.execute("SELECT api_key_id, sum(amount) FROM finops.cost_data WHERE usage_date >= %s "
                          "AND usage_date < %s GROUP BY 1", (WINDOW.start, WINDOW.end)).fetchall())
    assert dict(got) == sql
    web = next(r for r in records if r["api_key_id"] == KEY_WEB)
    assert (web["key_name"], web["owner"], web["allocated"]) == ("web-frontend", "alice@example.com", "False")
    assert web["redacted_value"].startswith("sk-proj-****")
    assert {r["allocated"] for r in records if r["api_key_id"] == A_KEY_BOT} == {"True"}
    reasons = {r["unattributed_reason"] for r in records if not r["api_key_id"]}
    assert "not reported per key" in reasons

    assert main(["report", "--by", "owner,team", *period, "--format", "json"]) == 0
    import json

    owners = json.loads(capsys.readouterr().out)
    carol = [o for o in owners if o["owner"] == "carol@example.com"]
    assert carol and carol[0]["team_id"] == "web" and carol[0]["owner_type"] == "user"
    assert main(["report", "--by", "api_key", *period]) == 0
    table = capsys.readouterr().out
    assert "batch-runner" in table and "allocated:" in table

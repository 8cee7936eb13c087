"""``finops report --usage`` and ``--explain`` against usage and costs collected from the simulator over HTTP:
token totals equal SQL over finops.usage_data, unit costs equal cost / tokens in SQL, and the change's parts add
up exactly to the change the spend report shows."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from simulator_fixtures import A_HEALTHY, USAGE

from finops import collection
from finops.cli import main
from finops.registry import Registry
from finops.warehouse.loader import Window

ACTOR = "cli:test"
WINDOW = Window(date(2026, 2, 1), date(2026, 4, 1))


@pytest.fixture(scope="module")
def loaded(warehouse, kms_endpoint, simulator):
    """Teams ``app`` (org-usage: a missing usage day and a mismatch day in March) and ``claude`` (Anthropic)."""
    import psycopg

    with psycopg.connect(warehouse, autocommit=True) as conn:
        # The rollups are derived from cost_data: emptied with it (other modules' fixtures empty cost_data alone).
        conn.execute("TRUNCATE finops.cost_data, finops.usage_data, finops.collection_runs, finops.admin_keys, finops.projects, "
                     "finops.teams, finops.spend_project_daily, finops.spend_project_monthly, "
                     "finops.spend_model_daily RESTART IDENTITY CASCADE")
    registry = Registry()
    registry.add_team("app", ACTOR)
    registry.register_key("app", simulator.key(USAGE), ACTOR, verify=False)
    for pid in simulator.project_ids(USAGE):
        registry.add_project("app", pid, ACTOR, verify=False)
    registry.add_team("claude", ACTOR)
    registry.register_key("claude", simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
    for scope in ("wrkspc_healthyChat", "default"):
        registry.add_project("claude", scope, ACTOR, verify=False, provider="anthropic")
    simulator.reset_faults()
    collection.collect_team("app", WINDOW, dag_run_id="usage-report")
    collection.collect_team("claude", WINDOW, dag_run_id="usage-report", provider="anthropic")
    return warehouse


def run(capsys, *argv: str) -> str:
    assert main(["report", *argv]) == 0
    return capsys.readouterr().out


def test_usage_token_totals_per_model_equal_sql_and_unit_costs_equal_cost_over_tokens(loaded, capsys):
    import psycopg

    records = json.loads(run(capsys, "--month", "2026-02", "--by", "provider,model", "--usage", "--format", "json"))
    with psycopg.connect(loaded) as conn:
        openai = {m: (i, c, w, o, r) for m, i, c, w, o, r in conn.execute(
            "SELECT model, sum(input_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(output_tokens), "
            "sum(requests) FROM finops.usage_data WHERE provider = 'openai' AND usage_date >= '2026-02-01' "
            "AND usage_date < '2026-03-01' GROUP BY 1")}
        unit = dict(conn.execute(
            "WITH t AS (SELECT model, sum(input_tokens + cache_read_tokens + cache_write_tokens + output_tokens) n "
            "  FROM finops.usage_data WHERE provider = 'openai' AND usage_date >= '2026-02-01' "
            "  AND usage_date < '2026-03-01' GROUP BY 1), "
            "c AS (SELECT li.model, sum(c.amount) cost FROM finops.cost_data c JOIN finops.line_items li "
            "  USING (provider, line_item) WHERE c.provider = 'openai' AND li.cost_kind = 'tokens' "
            "  AND c.usage_date >= '2026-02-01' AND c.usage_date < '2026-03-01' GROUP BY 1) "
            "SELECT model, round(cost * 1000000 / n, 6) FROM t JOIN c USING (model) WHERE n > 0"))
    by_model = {r["model"]: r for r in records if r["provider"] == "openai"}
    tokens = {m: (v["input_tokens"], v["cache_read_tokens"], v["cache_write_tokens"], v["output_tokens"],
                  v["requests"]) for m, v in by_model.items() if m in openai}
    assert tokens == openai and "gpt-4o-2024-08-06" in tokens
    assert tokens["gpt-4o-2024-08-06"][1] > 0  # cached input reported apart from input
    assert {m: Decimal(v["cost_per_1m_tokens"]) for m, v in by_model.items() if v["cost_per_1m_tokens"]} == unit
    assert by_model["dall-e-3"]["cost_per_1m_tokens"] is None  # images: no tokens, no division
    anthropic = [r for r in records if r["provider"] == "anthropic" and r["model"]]
    assert anthropic and all(r["cost_per_1m_tokens"] for r in anthropic if r["output_tokens"])
    assert all(r["requests"] is None for r in anthropic)  # Anthropic reports no request counts


def test_usage_columns_follow_amount_in_csv_and_a_missing_usage_day_is_told(loaded, capsys):
    text = run(capsys, "--month", "2026-03", "--by", "team,day", "--team", "app", "--usage", "--format", "csv")
    header = next(csv.reader(io.StringIO(text)))
    assert header == ["team_id", "usage_date", "currency", "amount", "requests", "input_tokens", "cache_read_tokens",
                      "cache_write_tokens", "output_tokens", "cost_per_1m_tokens"]
    rows = {r["usage_date"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["2026-03-02"]["input_tokens"] == "0" and rows["2026-03-02"]["cost_per_1m_tokens"] == ""
    assert rows["2026-03-04"]["cost_per_1m_tokens"]
    table = run(capsys, "--month", "2026-03", "--by", "team", "--team", "app", "--usage")
    assert "has no usage behind it" in table and "cost_per_1m_tokens" in table


def test_the_change_explained_adds_up_exactly_and_matches_the_spend_report(loaded, capsys):
    records = json.loads(run(capsys, "--explain", "--month", "2026-03", "--by", "team", "--format", "json"))
    spend = {r["team_id"]: Decimal(r["amount"]) for r in
             json.loads(run(capsys, "--month", "2026-03", "--by", "team", "--format", "json"))}
    before = {r["team_id"]: Decimal(r["amount"]) for r in
              json.loads(run(capsys, "--from", "2026-02-01", "--to", "2026-02-28", "--by", "team", "--format", "json"))}
    assert {r["team_id"] for r in records} == {"app", "claude"}
    for r in records:
        parts = [Decimal(r[k]) for k in ("volume", "mix", "price")]
        assert sum(parts) == Decimal(r["change"]) == Decimal(r["current"]) - Decimal(r["previous"])
        assert Decimal(r["current"]) == spend[r["team_id"]] and Decimal(r["previous"]) == before[r["team_id"]]
    table = run(capsys, "--explain", "--month", "2026-03")
    assert "volume + mix + price = change" in table and table.splitlines()[3].startswith("total")


def test_by_token_kind_each_kind_shows_its_own_tokens_and_no_requests(loaded, capsys):
    records = json.loads(run(capsys, "--month", "2026-02", "--by", "model,token_kind", "--team", "app", "--usage",
                             "--format", "json"))
    cached = [r for r in records if r["token_kind"] == "cached input"]
    assert cached and all(r["cache_read_tokens"] > 0 and r["input_tokens"] == r["output_tokens"] == 0 for r in cached)
    assert all(r["requests"] is None for r in records)  # a request is not split by token kind
    output = next(r for r in records if r["token_kind"] == "output" and r["model"] == "gpt-4o-2024-08-06")
    assert Decimal(output["cost_per_1m_tokens"]) == Decimal("10")  # the simulator's 1e-05 USD per output token

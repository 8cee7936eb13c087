"""FOCUS export with usage: Anthropic token rows get their quantities from finops.usage_data (the forced
"quantity missing" deviation disappears for them) and the export's checks still pass."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from simulator_fixtures import A_HEALTHY

from finops import collection
from finops.export import export_month
from finops.registry import Registry
from finops.warehouse.loader import Window

ACTOR = "cli:test"
MONTH = "2026-03"
TOKEN_FIELD = {"uncached_input_tokens": "input_tokens", "output_tokens": "output_tokens",
               "cache_read_input_tokens": "cache_read_tokens",
               "cache_creation.ephemeral_5m_input_tokens": "cache_write_5m_tokens",
               "cache_creation.ephemeral_1h_input_tokens": "cache_write_1h_tokens"}


def read_csv(path: Path) -> list[dict]:
    header = path.open().readline().strip().split(",")
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True,
        quoted_strings_can_be_null=False)).to_pylist()


def test_anthropic_token_rows_carry_usage_quantities_and_the_export_passes(db, kms_endpoint, simulator, tmp_path):
    registry = Registry()
    registry.add_team("claude", ACTOR)
    registry.register_key("claude", simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
    for scope in ("wrkspc_healthyChat", "default"):
        registry.add_project("claude", scope, ACTOR, verify=False, provider="anthropic")
    simulator.reset_faults()
    collection.collect_team("claude", Window(date(2026, 3, 1), date(2026, 3, 8)), dag_run_id="focus",
                            provider="anthropic")

    (result,) = export_month(MONTH, today=date(2026, 12, 1), provider="anthropic", dest=str(tmp_path))
    assert result.report.violations == []
    rows = read_csv(tmp_path / f"billing_period={MONTH}" / "provider=anthropic" / f"focus-{MONTH}-anthropic.csv")
    costs = {(r[0].isoformat(), r[1], r[2]): r[3:] for r in db.execute(
        "SELECT DISTINCT usage_date, project_id, line_item, cost_type, token_type, model, service_tier, context_window "
        "FROM finops.cost_data WHERE team_id = 'claude'")}
    checked = 0
    for row in rows:
        cost_type, token_type, model, tier, window = costs[(row["ChargePeriodStart"][:10], row["x_ProjectId"],
                                                            row["x_LineItem"])]
        if cost_type != "tokens":
            assert row["PricingQuantity"] is None and row["PricingUnit"] is None  # never invented
            continue
        (tokens,) = db.execute(
            f"SELECT sum({TOKEN_FIELD[token_type]}) FROM finops.usage_data WHERE team_id = 'claude' "  # noqa: S608
            "AND usage_date = %s AND project_id = %s AND model = %s AND service_tier = %s AND context_window = %s "
            "AND api_key_id IS NOT DISTINCT FROM %s",  # an allocated row's own key's tokens (docs/attribution.md)
            (row["ChargePeriodStart"][:10], row["x_ProjectId"], model, tier, window, row["x_ApiKeyId"])).fetchone()
        assert row["x_Allocated"] == "true"  # token costs with usage are allocated over the keys, and say so
        assert Decimal(row["PricingQuantity"]) == Decimal(row["ConsumedQuantity"]) == tokens > 0
        assert (row["PricingUnit"], row["ConsumedUnit"], row["x_QuantityUnit"]) == ("Tokens", "Tokens", None)
        checked += 1
    non_token = sum(1 for r in rows if costs[(r["ChargePeriodStart"][:10], r["x_ProjectId"], r["x_LineItem"])][0]
                    != "tokens")
    assert checked > 0 and non_token > 0
    assert {d.rule: d.count for d in result.report.deviations}["PricingQuantityMissing"] == non_token


def test_openai_token_rows_without_a_quantity_take_the_usage_tokens(db, kms_endpoint, simulator, tmp_path):
    from simulator_fixtures import USAGE

    registry = Registry()
    registry.add_team("app", ACTOR)
    registry.register_key("app", simulator.key(USAGE), ACTOR, verify=False)
    for pid in simulator.project_ids(USAGE):
        registry.add_project("app", pid, ACTOR, verify=False)
    collection.collect_team("app", Window(date(2026, 3, 10), date(2026, 3, 12)), dag_run_id="focus")
    # A cost row the API sent without its quantity: the usage has the tokens.
    day, project, item, quantity = db.execute(
        "UPDATE finops.cost_data SET quantity = NULL, quantity_unit = NULL WHERE (usage_date, project_id, line_item) "
        "= (SELECT usage_date, project_id, line_item FROM finops.cost_data WHERE line_item = "
        "'gpt-4o-2024-08-06, cached input' ORDER BY 1, 2 LIMIT 1) "
        "RETURNING usage_date, project_id, line_item, (SELECT sum(cache_read_tokens) FROM finops.usage_data u "
        "WHERE u.usage_date = cost_data.usage_date AND u.project_id = cost_data.project_id "
        "AND u.model = 'gpt-4o-2024-08-06')").fetchone()
    (result,) = export_month(MONTH, today=date(2026, 12, 1), provider="openai", dest=str(tmp_path))
    assert result.report.violations == []
    rows = read_csv(tmp_path / f"billing_period={MONTH}" / "provider=openai" / f"focus-{MONTH}-openai.csv")
    (row,) = [r for r in rows if (r["ChargePeriodStart"][:10], r["x_ProjectId"], r["x_LineItem"]) ==
              (day.isoformat(), project, item)]
    assert Decimal(row["PricingQuantity"]) == Decimal(row["ConsumedQuantity"]) == quantity > 0
    assert (row["PricingUnit"], row["x_QuantityUnit"]) == ("Tokens", None)
    assert "PricingQuantityMissing" not in {d.rule for d in result.report.deviations}

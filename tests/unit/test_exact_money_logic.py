"""Money is exact whatever its digits, in the pure parts: Anthropic's merge of duplicate results, the FOCUS
check's BilledCost totals and messages (CSV text and Parquet decimals), the simulator's expected totals, and
the amounts the collection logs."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pyarrow as pa

from finops.collection import exact_text
from finops.costs.anthropic_report import decode_cost_report
from finops.export.conformance import Checker, Truth
from finops.money import add, exact_sum

#: 12345.67 + 3.5000000000000004E-8: 29 significant digits, one more than Python's default context keeps.
BIG, NOISE = Decimal("12345.67"), Decimal("3.5000000000000004E-8")
SUM = Decimal("12345.670000035000000000000004")


def test_anthropic_duplicate_results_merge_to_the_exact_sum():
    results = [{"currency": "USD", "amount": amount, "workspace_id": None, "description": "Web Search Usage"}
               for amount in ("1234567", "0.0000035000000000000004")]  # cents
    body = json.dumps({"data": [{"starting_at": "2026-10-01T00:00:00Z", "results": results}], "has_more": False})
    (row,) = decode_cost_report(body, page=1).rows
    assert row.amount == SUM and row.project_id == "default"


def checked(batch: pa.RecordBatch, truth: Truth):
    checker = Checker("test.parquet", batch.schema.names, batch.schema)
    checker.add(batch)
    return checker.finish(truth)


def billed(costs: pa.Array) -> pa.RecordBatch:
    n = len(costs)
    return pa.RecordBatch.from_arrays(
        [costs, pa.array(["2026-10-01T00:00:00Z"] * n), pa.array(["USD"] * n), pa.array(["OpenAI"] * n)],
        names=["BilledCost", "BillingPeriodStart", "BillingCurrency", "x_Provider"])


def total_findings(report) -> list:
    return [v for v in report.violations if v.rule == "BilledCostTotal"]


def test_billed_cost_totals_past_28_digits_match_in_csv_text_and_parquet_decimals():
    truth = Truth(amounts={("2026-10", "openai", "USD"): SUM})
    for costs in (pa.array([str(BIG), str(NOISE)]), pa.array([BIG, NOISE], pa.decimal128(38, 24))):
        report = checked(billed(costs), truth)
        assert report.totals == {("2026-10", "openai", "USD"): SUM}
        assert total_findings(report) == [] and report.comparisons[0].equal
        assert report.comparisons[0].line() == f"BilledCost 2026-10 openai USD: file {SUM} = cost_data {SUM}"


def test_a_parquet_batch_whose_sum_outgrows_38_digits_is_still_exact():
    """Arrow adds decimal128 values as 128-bit integers and wraps silently past 38 digits."""
    value = Decimal("9" * 14 + "." + "9" * 24)  # 38 digits: the widest decimal128(38, 24) value
    costs = pa.array([value] * 20, pa.decimal128(38, 24))
    expected = exact_sum([value] * 20)
    report = checked(billed(costs), Truth(amounts={("2026-10", "openai", "USD"): expected}))
    assert report.totals[("2026-10", "openai", "USD")] == expected
    assert total_findings(report) == []


def test_a_mismatch_shows_both_totals_with_every_digit():
    other = add(SUM, Decimal("1E-24"))  # differs in the 29th digit only
    report = checked(billed(pa.array([str(BIG), str(NOISE)])), Truth(amounts={("2026-10", "openai", "USD"): other}))
    (finding,) = total_findings(report)
    assert finding.samples == [{"file": "12345.670000035000000000000004", "cost_data": "12345.670000035000000000000005"}]
    assert "file 12345.670000035000000000000004 != cost_data 12345.670000035000000000000005" in report.summary()
    assert "12345.670000035000000000000004" in report.failure_sentence()


def test_the_simulators_expected_totals_are_exact():
    from finops.simulator.anthropic_data import expected_anthropic_costs
    from finops.simulator.config import AnthropicOrganization, Organization, ProjectConfig, SimulatorConfig
    from finops.simulator.data import expected_costs

    config = SimulatorConfig(
        organizations=[Organization(id="org-exact", projects=[ProjectConfig(id="proj_a", name="A")],
                                    daily_amounts={"gpt-4o-2024-08-06, input": 12345.67,
                                                   "gpt-4o-2024-08-06, output": 3.4999999999999996e-08})],
        anthropic_organizations=[AnthropicOrganization(
            id="anth-exact", daily_amounts={"a": Decimal("1234567"), "b": Decimal("0.0000035000000000000004")})])
    day = date(2026, 10, 1)
    openai = expected_costs(config, "org-exact", day, date(2026, 10, 2))
    assert exact_sum(openai.values()) == Decimal("12345.670000034999999999999996")
    kept, _ = expected_anthropic_costs(config, "anth-exact", day, date(2026, 10, 2))
    assert exact_sum(kept.values()) == SUM
    _, skipped = expected_anthropic_costs(config, "anth-exact", day, date(2026, 10, 3), workspace_ids=[])
    assert skipped == {"default": exact_sum([SUM, SUM])}


def test_logged_amounts_keep_every_digit():
    assert exact_text(exact_sum([SUM] * 3)) == "37037.010000105000000000000012"
    assert exact_text(Decimal("12.3")) == "12.30" and exact_text(Decimal("0.004512")) == "0.004512"

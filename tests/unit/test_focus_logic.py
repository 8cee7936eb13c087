"""FOCUS export logic without services: months, the export plan of a DAG run, the conformance rules on
hand-built rows, Parquet decimal types, and DEST parsing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pyarrow as pa
import pytest

from finops.errors import UsageError
from finops.export.columns import COLUMN_NAMES, COLUMNS
from finops.export.conformance import Checker, Truth
from finops.export.destination import resolve
from finops.export.errors import BadDestination
from finops.export.months import Month, months_touched, refuse_future
from finops.export.tasks import cost_data_events, plan_exports
from finops.export.writers import decimal_type


# -- months -----------------------------------------------------------------------------------------
def test_month_bounds_and_parsing():
    assert (Month.parse("2026-12").start, Month.parse("2026-12").end) == (date(2026, 12, 1), date(2027, 1, 1))
    assert str(Month.parse("2026-01").previous()) == "2025-12"
    for bad in ("2026-13", "2026-1", "26-01", "2026/01", ""):
        with pytest.raises(UsageError, match="YYYY-MM"):
            Month.parse(bad)


def test_months_touched_by_a_window_end_exclusive():
    assert months_touched(date(2026, 10, 30), date(2026, 11, 2)) == [Month(2026, 10), Month(2026, 11)]
    assert months_touched(date(2026, 10, 30), date(2026, 11, 1)) == [Month(2026, 10)]
    assert months_touched(date(2026, 12, 31), date(2027, 1, 1)) == [Month(2026, 12)]
    assert months_touched(date(2026, 10, 5), date(2026, 10, 5)) == []


def test_a_future_month_is_one_sentence_and_the_current_one_is_allowed():
    refuse_future(Month(2026, 11), date(2026, 11, 30))
    with pytest.raises(UsageError) as exc:
        refuse_future(Month(2026, 12), date(2026, 11, 30))
    assert str(exc.value) == ("2026-12 is in the future (today is 2026-11-30 UTC); give the current month or an "
                              "earlier one.")


# -- what a DAG run exports ------------------------------------------------------------------------------
def _events(*extras):
    """Shaped as the task context's ``triggering_asset_events``: Asset -> events with ``extra``."""
    from airflow.sdk import Asset

    from finops.assets import COST_DATA

    other = Asset(name="something.else")
    return {COST_DATA: [SimpleNamespace(extra=e) for e in extras],
            other: [SimpleNamespace(extra={"window_start": "2020-01-01", "window_end": "2020-02-01"})]}


def test_plan_from_events_is_the_months_each_providers_window_touched():
    events = cost_data_events(_events(
        {"provider": "openai", "window_start": "2026-10-30", "window_end": "2026-11-02", "teams": ["a"]},
        {"provider": "anthropic", "window_start": "2026-11-10", "window_end": "2026-11-13"},
        {"provider": "openai", "window_start": "2026-11-01", "window_end": "2026-11-03"},
    ))
    assert len(events) == 3  # the other asset's event is not ours
    assert plan_exports({}, events, date(2026, 11, 15)) == [
        {"month": "2026-10", "provider": "openai"},
        {"month": "2026-11", "provider": "anthropic"},
        {"month": "2026-11", "provider": "openai"},
    ]


def test_plan_without_events_is_this_month_and_the_last_and_params_win():
    assert plan_exports({}, [], date(2026, 1, 20)) == [{"month": "2025-12", "provider": None},
                                                       {"month": "2026-01", "provider": None}]
    assert plan_exports({"months": ["2026-03", "2026-02", "2026-03"], "provider": "anthropic"}, [], date(2026, 5, 1)) == [
        {"month": "2026-02", "provider": "anthropic"}, {"month": "2026-03", "provider": "anthropic"}]


# -- the conformance rules ---------------------------------------------------------------------------
def good_row(**changes) -> dict:
    row = {
        "BilledCost": "0.13080438340307526", "BillingAccountId": "org-abc", "BillingAccountName": None,
        "BillingCurrency": "USD", "BillingPeriodEnd": "2026-11-01T00:00:00Z",
        "BillingPeriodStart": "2026-10-01T00:00:00Z", "ChargeCategory": "Usage", "ChargeClass": None,
        "ChargeDescription": "gpt-4o-2024-08-06, input", "ChargeFrequency": "Usage-Based",
        "ChargePeriodEnd": "2026-10-02T00:00:00Z", "ChargePeriodStart": "2026-10-01T00:00:00Z",
        "ConsumedQuantity": "50976", "ConsumedUnit": "Tokens", "ContractedCost": "0.13080438340307526",
        "EffectiveCost": "0.13080438340307526", "InvoiceIssuerName": "OpenAI", "ListCost": "0.13080438340307526",
        "PricingQuantity": "50976", "PricingUnit": "Tokens", "ProviderName": "OpenAI", "PublisherName": "OpenAI",
        "ServiceCategory": "AI and Machine Learning", "ServiceName": "OpenAI API",
        "ServiceSubcategory": "Generative AI", "SkuId": "gpt-4o-2024-08-06, input",
        "SkuPriceId": "gpt-4o-2024-08-06, input", "SubAccountId": "proj_web", "SubAccountName": "Web",
        "SubAccountType": "Project", "Tags": '{"team": "growth"}', "x_Provider": "openai", "x_TeamId": "growth",
        "x_TeamName": "Growth", "x_ProjectId": "proj_web", "x_OrganizationId": "org-abc",
        "x_LineItem": "gpt-4o-2024-08-06, input", "x_QuantityUnit": "tokens", "x_CollectedAt": "2026-10-02T03:04:05Z",
        "x_ApiKeyId": "key_abc", "x_Allocated": "false",
    }
    row.update(changes)
    return row


def check(rows: list[dict], names=COLUMN_NAMES, truth: Truth | None = None):
    table = pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names})
    checker = Checker("test.csv", list(names))
    for batch in table.to_batches(max_chunksize=2):  # several batches: counts and samples add up
        checker.add(batch)
    return checker.finish(truth)


def broken(report) -> dict[tuple[str, str], int]:
    return {(v.rule, v.detail): v.count for v in report.violations}


def test_good_rows_pass_with_exact_totals():
    rows = [good_row(), good_row(BilledCost="1.5", EffectiveCost="1.50", ListCost="1.5", ContractedCost="1.5")]
    truth = Truth({("2026-10", "openai", "USD"): Decimal("1.63080438340307526")}, {("2026-10", "openai"): 2})
    report = check(rows, truth=truth)
    assert report.ok, report.summary()
    assert report.totals == {("2026-10", "openai", "USD"): Decimal("1.63080438340307526")}
    assert "PASSED" in report.summary() and "file 1.63080438340307526 = cost_data 1.63080438340307526" in report.summary()


@pytest.mark.parametrize(("changes", "rule", "detail"), [
    ({"BilledCost": None}, "NotNull", "BilledCost"),
    ({"BilledCost": "$1.00", "EffectiveCost": "$1.00", "ListCost": "$1.00", "ContractedCost": "$1.00"},
     "NumericFormat", "BilledCost"),
    ({"ListCost": "1,000.5"}, "NumericFormat", "ListCost"),
    ({"PricingQuantity": "+5"}, "NumericFormat", "PricingQuantity"),
    ({"ChargePeriodStart": "2026-10-01 00:00:00"}, "DateTimeFormat", "ChargePeriodStart"),
    ({"x_CollectedAt": "2026-10-02T03:04:05.123Z"}, "DateTimeFormat", "x_CollectedAt"),
    ({"BillingCurrency": "usd"}, "CurrencyFormat", "BillingCurrency"),
    ({"ChargeCategory": "usage"}, "AllowedValues", "ChargeCategory"),
    ({"ChargeClass": "Refund"}, "AllowedValues", "ChargeClass"),
    ({"ChargeFrequency": "Daily"}, "AllowedValues", "ChargeFrequency"),
    ({"ServiceCategory": "AI"}, "AllowedValues", "ServiceCategory"),
    ({"ServiceSubcategory": "Compute"}, "ServiceSubcategory", "ServiceSubcategory"),
    ({"PricingUnit": "tokens"}, "UnitFormat", "PricingUnit"),
    ({"ConsumedUnit": "1k tokens"}, "UnitFormat", "ConsumedUnit"),
    ({"PricingUnit": None}, "UnitWithQuantity", "Pricing"),
    ({"ConsumedQuantity": None}, "UnitWithQuantity", "Consumed"),
    ({"SubAccountName": None}, "SubAccountPairing", "SubAccountName"),
    ({"SubAccountId": None, "SubAccountName": None}, "SubAccountPairing", "SubAccountType"),
    ({"ChargeCategory": "Tax"}, "ConsumedOnlyOnUsage", "ConsumedQuantity"),
    ({"SkuId": None}, "SkuIdOnUsage", "SkuId"),
    ({"EffectiveCost": "0.2"}, "CostColumnsEqual", "EffectiveCost"),
    ({"ChargePeriodEnd": "2026-10-01T00:00:00Z"}, "ChargePeriodOrder", "ChargePeriodEnd"),
    ({"ChargePeriodStart": "2026-11-01T00:00:00Z", "ChargePeriodEnd": "2026-11-02T00:00:00Z"},
     "ChargeInBillingPeriod", "ChargePeriod"),
    ({"BillingPeriodEnd": "2026-10-31T00:00:00Z", "ChargePeriodEnd": "2026-10-02T00:00:00Z"},
     "BillingPeriodMonth", "BillingPeriod"),
    ({"Tags": '{"team": {"nested": 1}}'}, "TagsFormat", "Tags"),
    ({"Tags": "team=growth"}, "TagsFormat", "Tags"),
    ({"BillingAccountName": ""}, "NullAsText", "BillingAccountName"),
    ({"ChargeClass": "N/A"}, "NullAsText", "ChargeClass"),
    ({"SubAccountType": "Not Applicable"}, "NullAsText", "SubAccountType"),
])
def test_each_rule_fails_with_its_count_and_sample_rows(changes, rule, detail):
    rows = [good_row(), good_row(**changes), good_row(), good_row(**changes)]
    report = check(rows)
    assert not report.ok
    assert broken(report).get((rule, detail)) == 2, report.summary()
    finding = next(v for v in report.violations if (v.rule, v.detail) == (rule, detail))
    assert [s["row"] for s in finding.samples] == [2, 4]
    assert finding.samples[0]["ChargeDescription"] == "gpt-4o-2024-08-06, input"
    assert f"{rule} [{detail}]: 2" in report.failure_sentence()
    assert "nothing was published" in report.failure_sentence()


def test_column_rules_missing_unknown_misnamed_and_misplaced():
    names = [n for n in COLUMN_NAMES if n != "ServiceName"]
    names.insert(len(names), "BillingAccountType")  # a FOCUS column after custom ones
    names += ["Team", "x_team", "x_" + "A" * 60]
    report = check([good_row(Team="t", x_team="t", BillingAccountType="x", **{"x_" + "A" * 60: "v"})], names=names)
    assert set(broken(report)) >= {("MandatoryColumns", "ServiceName"), ("ColumnNames", "Team"),
                                  ("ColumnNames", "x_team"), ("ColumnNames", "x_" + "A" * 60),
                                  ("ColumnNames", "BillingAccountType")}


def test_one_service_name_in_two_categories_is_a_violation():
    report = check([good_row(), good_row(ServiceCategory="Analytics", ServiceSubcategory="Generative AI")])
    assert ("ServiceNameCategory", "OpenAI API") in broken(report)


def test_billed_cost_and_rows_must_equal_the_warehouse_to_the_last_digit():
    rows = [good_row(), good_row()]
    truth = Truth({("2026-10", "openai", "USD"): Decimal("0.26160876680615051")}, {("2026-10", "openai"): 3})
    report = check(rows, truth=truth)
    assert broken(report) == {("BilledCostTotal", "2026-10 openai USD"): 1, ("RowCount", "2026-10 openai"): 1}
    assert "file 0.26160876680615052 != cost_data 0.26160876680615051" in report.summary()


def test_forced_deviations_are_counted_not_failed():
    rows = [good_row(PricingQuantity=None, PricingUnit=None, ConsumedQuantity=None, ConsumedUnit=None,
                     BillingAccountId="team:growth", x_OrganizationId=None, x_QuantityUnit=None)] * 3 + [good_row()]
    report = check(rows)
    assert report.ok, report.summary()
    assert {d.rule: d.count for d in report.deviations} == {
        "PricingQuantityMissing": 3, "ConsumedQuantityMissing": 3, "BillingAccountIdSurrogate": 3}
    assert "deviation PricingQuantityMissing: 3 rows" in report.summary()


def test_parquet_types_are_checked():
    names = list(COLUMN_NAMES)
    fields = [pa.field(c.name, pa.float64() if c.name == "BilledCost" else pa.string()) for c in COLUMNS]
    report = Checker("x.parquet", names, pa.schema(fields)).finish(None)
    assert ("ColumnTypes", "BilledCost") in broken(report)
    assert ("ColumnTypes", "ChargePeriodStart") not in broken(report)  # DateTime as text is allowed


# -- writers and destinations --------------------------------------------------------------------------
def test_parquet_decimals_keep_the_usual_type_unless_the_month_needs_more():
    assert decimal_type(17, Decimal("12.5"), 24) == pa.decimal128(38, 24)
    assert decimal_type(30, Decimal("12.5"), 24) == pa.decimal128(38, 30)
    assert decimal_type(30, Decimal("1e20"), 24) == pa.decimal256(76, 30)


def test_dest_forms_and_bad_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    assert resolve(None).local == tmp_path / "home" / "finops_exports" / "focus"
    assert resolve(f"file://{tmp_path}/x").local == tmp_path / "x"
    with pytest.raises(BadDestination, match="scheme gs://"):
        resolve("gs://bucket/x")
    with pytest.raises(BadDestination, match="names no bucket"):
        resolve("s3://")
    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(BadDestination, match="is a file"):
        resolve(str(afile)).probe()

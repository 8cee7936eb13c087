"""The FOCUS 1.2 conformance check of a CSV or Parquet file, batch by batch (memory flat in the file's size).

Rules are those of ``shared/reference/focus-1.2.md`` that apply to Cost and Usage data: columns present,
named and typed; value formats (numbers, dates, currency, units, JSON); nulls never written as text;
allowed values; pairings (unit with quantity, sub-account name with id); periods; cost columns equal
where the mapping says so; and the sum of BilledCost per billing period, provider and currency equal to
``cost_data``. A violated rule fails the check and names the rule, the count and sample rows.
Deviations the APIs force (no quantity reported; no organization named) are counted, never hidden.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from finops.export.columns import (
    CHARGE_CATEGORIES,
    CHARGE_CLASSES,
    CHARGE_FREQUENCIES,
    COST_COLUMNS,
    DATETIME,
    DECIMAL,
    FOCUS_COLUMNS,
    FOCUS_TYPES,
    FOCUS_VERSION,
    MANDATORY,
    NOT_NULL,
    SERVICE_CATEGORIES,
    SERVICE_SUBCATEGORIES,
)
from finops.money import ZERO, add, exact_sum, plain

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

SAMPLES = 3
BATCH_ROWS = 16 * 1024  # Parquet rows checked at a time (peak memory, measured)
#: Bytes of CSV checked at a time, on one thread: measured, larger blocks and read-ahead cost far more
#: memory in the rules' intermediate arrays (4 MB: about +200 MB peak; 1 MB: about +60 MB) for little speed.
CHECK_CSV_BLOCK = 2**20
NUMERIC = r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE]-?[0-9]+)?$"
DATETIME_FORMAT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
CURRENCY = r"^[A-Z]{3}$"
UNIT = r"^([1-9][0-9]* )?[A-Z][A-Za-z]*([- /][A-Z][A-Za-z]*)*$"
CUSTOM_NAME = re.compile(r"^x_[A-Z][A-Za-z0-9]*$")
NULL_AS_TEXT = ["", "N/A", "n/a", "Not Applicable", "not applicable", "NULL", "null", "None", "none"]
PROVIDER_KEYS = {"OpenAI": "openai", "Anthropic": "anthropic"}
#: Columns shown in every sample row, so a reader can find the row in cost_data.
SAMPLE_COLUMNS = ("ChargePeriodStart", "x_TeamId", "SubAccountId", "ChargeDescription", "BilledCost")

RULES = {
    "MandatoryColumns": "every mandatory FOCUS 1.2 column is present",
    "ColumnNames": "columns are FOCUS 1.2 columns or custom ones named x_PascalCase (at most 50 characters) "
                   "after all FOCUS columns",
    "ColumnTypes": "Parquet types: Decimal columns are decimals, DateTime columns UTC timestamps or text, others text",
    "NotNull": "a column the specification requires is never null",
    "NullAsText": "a missing value is null (an empty field), never \"\", N/A, NULL or Not Applicable",
    "NumericFormat": "numbers are plain decimals (E-notation allowed), no symbols, separators or +",
    "DateTimeFormat": "dates are UTC in YYYY-MM-DDTHH:mm:ssZ",
    "CurrencyFormat": "BillingCurrency is an ISO 4217 code in upper case",
    "AllowedValues": "ChargeCategory, ChargeClass, ChargeFrequency and ServiceCategory hold allowed values",
    "ServiceSubcategory": "ServiceSubcategory is a subcategory of the row's ServiceCategory",
    "ServiceNameCategory": "one ServiceName maps to one ServiceCategory",
    "UnitFormat": "PricingUnit and ConsumedUnit follow the FOCUS unit format (Tokens, 1000 Tokens, GiB-Hours)",
    "UnitWithQuantity": "PricingUnit is null exactly when PricingQuantity is (ConsumedUnit with ConsumedQuantity)",
    "SubAccountPairing": "SubAccountName and SubAccountType are null exactly when SubAccountId is",
    "ConsumedOnlyOnUsage": "ConsumedQuantity and ConsumedUnit are null unless ChargeCategory is Usage",
    "SkuIdOnUsage": "SkuId is not null on Usage rows",
    "CostColumnsEqual": "EffectiveCost, ListCost and ContractedCost equal BilledCost (no discounts, no amortisation)",
    "ChargePeriodOrder": "ChargePeriodEnd is after ChargePeriodStart",
    "ChargeInBillingPeriod": "the charge period lies inside the billing period",
    "BillingPeriodMonth": "the billing period is one whole UTC calendar month",
    "TagsFormat": "Tags is a flat JSON object (values are strings, numbers, booleans or null)",
    "BilledCostTotal": "the sum of BilledCost per billing period, provider and currency equals cost_data",
    "RowCount": "one row per cost_data row of the billing period and provider",
    "MetadataMatches": "a metadata JSON with FocusVersion 1.2 sits beside the data file and names its SHA-256 and rows "
                       "(checked by --check on published files)",
}
DEVIATIONS = {
    "PricingQuantityMissing": "Usage rows without PricingQuantity/PricingUnit: the provider's cost API reports "
                              "no quantity for these charges (never invented)",
    "ConsumedQuantityMissing": "Usage rows without ConsumedQuantity/ConsumedUnit: no measured quantity in the "
                               "provider's cost API",
    "BillingAccountIdSurrogate": "BillingAccountId is `team:<team_id>` (the organization of the team's Admin "
                                 "key): the provider's cost report does not name the organization",
}


@dataclass
class Finding:
    """One rule (or forced deviation) with how many rows broke it and a few of them."""

    rule: str
    detail: str
    count: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        sample = f"; e.g. {json.dumps(self.samples[0], default=str)}" if self.samples else ""
        return f"{self.rule} [{self.detail}]: {self.count:,}{sample}"

    def as_json(self) -> dict[str, Any]:
        return {"Rule": self.rule, "Detail": self.detail, "Count": self.count, "Samples": self.samples}


@dataclass
class TotalComparison:
    """BilledCost of one (billing period, provider, currency) in the file against cost_data."""

    period: str
    provider: str
    currency: str
    in_file: Decimal | None
    in_warehouse: Decimal | None

    @property
    def equal(self) -> bool:
        return self.in_file is not None and self.in_warehouse is not None and self.in_file == self.in_warehouse

    def line(self) -> str:
        sign = "=" if self.equal else "!="
        return (f"BilledCost {self.period} {self.provider} {self.currency}: file {_show(self.in_file)} {sign} "
                f"cost_data {_show(self.in_warehouse)}")


@dataclass
class Truth:
    """What cost_data holds: sums of amount per (YYYY-MM, provider, currency), rows per (YYYY-MM, provider)."""

    amounts: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass
class CheckReport:
    """The verdict on one file: rows, violations (fail), deviations (counted), totals against the warehouse."""

    source: str
    rows: int = 0
    violations: list[Finding] = field(default_factory=list)
    deviations: list[Finding] = field(default_factory=list)
    totals: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)
    comparisons: list[TotalComparison] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def verdict(self) -> str:
        return "PASSED" if self.ok else "FAILED"

    def summary(self) -> str:
        broken = len(self.violations)
        lines = [f"FOCUS {FOCUS_VERSION} check of {self.source}: {self.verdict} - {self.rows:,} rows, "
                 f"{len(RULES)} rules, {broken} broken, {sum(d.count for d in self.deviations):,} rows with "
                 f"forced deviations"]
        lines += [f"  violated {v.line()}" for v in self.violations]
        lines += [f"  deviation {d.rule}: {d.count:,} rows ({DEVIATIONS[d.rule]})" for d in self.deviations]
        lines += [f"  {c.line()}" for c in self.comparisons]
        return "\n".join(lines)

    def add_violation(self, rule: str, detail: str, sample: dict[str, Any]) -> None:
        self.violations.append(Finding(rule, detail, 1, [sample]))

    def failure_sentence(self) -> str:
        parts = "; ".join(v.line() for v in self.violations[:5])
        more = f" and {len(self.violations) - 5} more" if len(self.violations) > 5 else ""
        return (f"{self.source} breaks {len(self.violations)} FOCUS {FOCUS_VERSION} rule(s): {parts}{more}; "
                "nothing was published and the previous files stay (fix the mapping or the data, then export again).")

    def as_json(self) -> dict[str, Any]:
        return {
            "Verdict": self.verdict,
            "Rows": self.rows,
            "RulesChecked": sorted(RULES),
            "Violations": [v.as_json() for v in self.violations],
            "Deviations": [{**d.as_json(), "Why": DEVIATIONS[d.rule]} for d in self.deviations],
            "BilledCostTotals": [
                {"BillingPeriod": c.period, "Provider": c.provider, "BillingCurrency": c.currency,
                 "File": _show(c.in_file), "CostData": _show(c.in_warehouse), "Equal": c.equal}
                for c in self.comparisons
            ],
        }


def _show(value: Decimal | None) -> str:
    """Exact to the last digit, without the padding of a Parquet decimal's scale (1.50000 -> 1.5)."""
    return "absent" if value is None else plain(value)  # normalize() would round to 28 digits


class Checker:
    """Feed it the batches of one file (``add``), then ``finish`` with cost_data's totals."""

    def __init__(self, source: str, names: list[str], schema: pa.Schema | None = None) -> None:
        self.report = CheckReport(source)
        self.names = names
        self._found: dict[tuple[str, str], Finding] = {}
        self._deviations: dict[str, Finding] = {}
        self._totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        self._row_counts: dict[tuple[str, str], int] = defaultdict(int)
        self._services: dict[str, set[str]] = defaultdict(set)
        self._tags_ok: dict[str, bool] = {}
        self._periods_ok: dict[str, bool] = {}
        self._header(schema)

    # -- bookkeeping ---------------------------------------------------------------------------------
    def _violation(self, rule: str, detail: str, count: int = 1, samples: list[dict] | None = None) -> None:
        finding = self._found.setdefault((rule, detail), Finding(rule, detail))
        finding.count += count
        finding.samples.extend((samples or [])[: SAMPLES - len(finding.samples)])

    def _rows(self, rule: str, detail: str, mask, norm: dict, offset: int, columns=(), deviation=False) -> None:
        import pyarrow.compute as pc

        count = pc.sum(mask).as_py() or 0
        if not count:
            return
        if deviation:
            finding = self._deviations.setdefault(rule, Finding(rule, detail))
        else:
            finding = self._found.setdefault((rule, detail), Finding(rule, detail))
        finding.count += count
        if len(finding.samples) < SAMPLES:
            wanted = [c for c in dict.fromkeys((*SAMPLE_COLUMNS, *columns)) if c in norm]
            for index in pc.indices_nonzero(mask).to_pylist()[: SAMPLES - len(finding.samples)]:
                finding.samples.append({"row": offset + index + 1, **{c: _plain(norm[c][index].as_py()) for c in wanted}})

    # -- the file as a whole -------------------------------------------------------------------------
    def _header(self, schema: pa.Schema | None) -> None:
        names = self.names
        for name in sorted(MANDATORY - set(names)):
            self._violation("MandatoryColumns", name, samples=[{"missing": name}])
        seen_custom = False
        for name in names:
            if name.startswith("x_"):
                seen_custom = True
                if not CUSTOM_NAME.match(name) or len(name) > 50:
                    self._violation("ColumnNames", name, samples=[{"column": name, "why": "not x_PascalCase within 50 characters"}])
            elif name not in FOCUS_COLUMNS:
                self._violation("ColumnNames", name, samples=[{"column": name, "why": "not a FOCUS 1.2 column and no x_ prefix"}])
            elif seen_custom:
                self._violation("ColumnNames", name, samples=[{"column": name, "why": "a FOCUS column after custom ones"}])
        if len(set(names)) != len(names):
            self._violation("ColumnNames", "duplicate", samples=[{"columns": sorted({n for n in names if names.count(n) > 1})}])
        if schema is not None:
            import pyarrow as pa

            for arrow_field in schema:
                kind = FOCUS_TYPES.get(arrow_field.name)
                if arrow_field.name == "x_CollectedAt":
                    kind = DATETIME
                t = arrow_field.type
                ok = True
                if kind == DECIMAL:
                    ok = pa.types.is_decimal(t)
                elif kind == DATETIME:
                    ok = (pa.types.is_timestamp(t) and t.tz in ("UTC", "+00:00", "Etc/UTC")) or pa.types.is_string(t)
                elif arrow_field.name in FOCUS_COLUMNS or arrow_field.name.startswith("x_"):
                    ok = pa.types.is_string(t) or pa.types.is_large_string(t)
                if not ok:
                    self._violation("ColumnTypes", arrow_field.name,
                                    samples=[{"column": arrow_field.name, "type": str(t), "expected": kind or "String"}])

    # -- one batch ---------------------------------------------------------------------------------
    def add(self, batch: pa.RecordBatch) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        norm = normalize(batch)
        offset = self.report.rows
        self.report.rows += batch.num_rows
        col = norm.get

        def bad_format(array, pattern):
            return pc.fill_null(pc.invert(pc.match_substring_regex(array, pattern)), False)

        def not_in(array, values):  # null is not "not allowed": NotNull rules say where null is wrong
            outside = pc.invert(pc.is_in(array, value_set=pa.array(sorted(values), pa.string())))
            return pc.fill_null(pc.and_(pc.is_valid(array), outside), False)

        for name in self.names:
            array = norm[name]
            if name in NOT_NULL:
                self._rows("NotNull", name, pc.is_null(array), norm, offset, (name,))
            if not pa.types.is_string(array.type):
                continue  # a typed Parquet column (decimal, timestamp): its type is its format (ColumnTypes)
            kind = FOCUS_TYPES.get(name)
            if kind != DECIMAL:
                self._rows("NullAsText", name, pc.fill_null(pc.is_in(array, value_set=pa.array(NULL_AS_TEXT)), False),
                           norm, offset, (name,))
            if kind == DECIMAL:
                self._rows("NumericFormat", name, bad_format(array, NUMERIC), norm, offset, (name,))
            elif kind == DATETIME or name == "x_CollectedAt":
                self._rows("DateTimeFormat", name, bad_format(array, DATETIME_FORMAT), norm, offset, (name,))
        if col("BillingCurrency") is not None:
            self._rows("CurrencyFormat", "BillingCurrency", bad_format(col("BillingCurrency"), CURRENCY), norm, offset,
                       ("BillingCurrency",))
        for name, allowed in (("ChargeCategory", CHARGE_CATEGORIES), ("ChargeClass", CHARGE_CLASSES),
                              ("ChargeFrequency", CHARGE_FREQUENCIES), ("ServiceCategory", SERVICE_CATEGORIES)):
            if col(name) is not None:
                self._rows("AllowedValues", name, not_in(col(name), allowed), norm, offset, (name,))
        if col("ServiceCategory") is not None and col("ServiceSubcategory") is not None:
            pairs = pc.binary_join_element_wise(col("ServiceCategory"), col("ServiceSubcategory"), "|")
            allowed = {f"{parent}|{child}" for parent, children in SERVICE_SUBCATEGORIES.items() for child in children}
            self._rows("ServiceSubcategory", "ServiceSubcategory", not_in(pairs, allowed), norm, offset,
                       ("ServiceCategory", "ServiceSubcategory"))
        if col("ServiceName") is not None and col("ServiceCategory") is not None:
            for pair in pc.unique(pc.binary_join_element_wise(col("ServiceName"), col("ServiceCategory"), "\x1f")).to_pylist():
                if pair is not None:
                    service, category = pair.split("\x1f", 1)
                    self._services[service].add(category)
        for unit, quantity, rule_detail in (("PricingUnit", "PricingQuantity", "Pricing"),
                                            ("ConsumedUnit", "ConsumedQuantity", "Consumed")):
            if col(unit) is not None:
                self._rows("UnitFormat", unit, bad_format(col(unit), UNIT), norm, offset, (unit,))
            if col(unit) is not None and col(quantity) is not None:
                mask = pc.not_equal(pc.is_null(col(unit)), pc.is_null(col(quantity)))
                self._rows("UnitWithQuantity", rule_detail, mask, norm, offset, (quantity, unit))
        if col("SubAccountId") is not None:
            for other in ("SubAccountName", "SubAccountType"):
                if col(other) is not None:
                    mask = pc.not_equal(pc.is_null(col("SubAccountId")), pc.is_null(col(other)))
                    self._rows("SubAccountPairing", other, mask, norm, offset, ("SubAccountId", other))
        category = col("ChargeCategory")
        if category is not None:
            usage = pc.fill_null(pc.equal(category, "Usage"), False)
            for name in ("ConsumedQuantity", "ConsumedUnit"):
                if col(name) is not None:
                    mask = pc.and_(pc.invert(usage), pc.is_valid(col(name)))
                    self._rows("ConsumedOnlyOnUsage", name, mask, norm, offset, ("ChargeCategory", name))
            if col("SkuId") is not None:
                self._rows("SkuIdOnUsage", "SkuId", pc.and_(usage, pc.is_null(col("SkuId"))), norm, offset, ("SkuId",))
            if col("PricingQuantity") is not None:
                self._rows("PricingQuantityMissing", "PricingQuantity", pc.and_(usage, pc.is_null(col("PricingQuantity"))),
                           norm, offset, ("x_LineItem",), deviation=True)
            if col("ConsumedQuantity") is not None:
                self._rows("ConsumedQuantityMissing", "ConsumedQuantity",
                           pc.and_(usage, pc.is_null(col("ConsumedQuantity"))), norm, offset, ("x_LineItem",),
                           deviation=True)
        if col("x_OrganizationId") is not None and col("BillingAccountId") is not None:
            surrogate = pc.and_(pc.is_null(col("x_OrganizationId")),
                                pc.fill_null(pc.starts_with(col("BillingAccountId"), "team:"), False))
            self._rows("BillingAccountIdSurrogate", "BillingAccountId", surrogate, norm, offset, ("BillingAccountId",),
                       deviation=True)
        self._costs_equal(batch, norm, offset)
        self._periods(norm, offset)
        self._tags(norm, offset)
        self._sum(batch, norm)

    def _costs_equal(self, batch, norm: dict, offset: int) -> None:
        import pyarrow.compute as pc

        if "BilledCost" not in norm:
            return
        billed = norm["BilledCost"]
        for name in COST_COLUMNS[1:]:
            if name not in norm:
                continue
            differ = pc.fill_null(pc.not_equal(norm[name], billed), False)
            if pc.any(differ).as_py():  # text differs: compare the numbers (1.50 equals 1.5)
                rows = pc.indices_nonzero(differ).to_pylist()
                truly = [i for i in rows if _decimal(norm[name][i].as_py()) != _decimal(billed[i].as_py())]
                if truly:
                    mask = [False] * batch.num_rows
                    for i in truly:
                        mask[i] = True
                    import pyarrow as pa

                    self._rows("CostColumnsEqual", name, pa.array(mask), norm, offset, (name,))

    def _periods(self, norm: dict, offset: int) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        cps, cpe, bps, bpe = (norm.get(n) for n in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart",
                                                    "BillingPeriodEnd"))
        present = [a for a in (cps, cpe, bps, bpe) if a is not None]
        if len({str(a.type) for a in present}) > 1:  # text beside timestamps: compare as FOCUS text
            cps, cpe, bps, bpe = (None if a is None else _text(a) for a in (cps, cpe, bps, bpe))
        if cps is not None and cpe is not None:
            self._rows("ChargePeriodOrder", "ChargePeriodEnd", pc.fill_null(pc.less_equal(cpe, cps), False), norm,
                       offset, ("ChargePeriodStart", "ChargePeriodEnd"))
        if None in (cps, cpe, bps, bpe):
            return
        outside = pc.fill_null(pc.or_(pc.less(cps, bps), pc.greater(cpe, bpe)), False)
        self._rows("ChargeInBillingPeriod", "ChargePeriod", outside, norm, offset,
                   ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodEnd"))
        if _constant(bps) and _constant(bpe):  # one billing period in the batch: the usual case
            pair = f"{_plain(bps[0].as_py())}/{_plain(bpe[0].as_py())}"
            if not self._whole_month(pair):
                self._rows("BillingPeriodMonth", "BillingPeriod", pc.is_valid(bps), norm, offset,
                           ("BillingPeriodStart", "BillingPeriodEnd"))
            return
        pairs = pc.binary_join_element_wise(_text(bps), _text(bpe), "/")
        bad = [p for p in pc.unique(pairs).to_pylist() if p is not None and not self._whole_month(p)]
        if bad:
            mask = pc.fill_null(pc.is_in(pairs, value_set=pa.array(bad)), False)
            self._rows("BillingPeriodMonth", "BillingPeriod", mask, norm, offset, ("BillingPeriodStart", "BillingPeriodEnd"))

    def _whole_month(self, pair: str) -> bool:
        if pair not in self._periods_ok:
            start, _, end = pair.partition("/")
            try:
                first = date.fromisoformat(start[:10])
                following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
                self._periods_ok[pair] = (first.day == 1 and start == f"{first}T00:00:00Z"
                                          and end == f"{following}T00:00:00Z")
            except ValueError:
                self._periods_ok[pair] = False
        return self._periods_ok[pair]

    def _tags(self, norm: dict, offset: int) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        tags = norm.get("Tags")
        if tags is None:
            return
        bad = []
        for value in pc.unique(tags).to_pylist():
            if value is None:
                continue
            if value not in self._tags_ok:
                self._tags_ok[value] = _flat_json_object(value)
            if not self._tags_ok[value]:
                bad.append(value)
        if bad:
            self._rows("TagsFormat", "Tags", pc.fill_null(pc.is_in(tags, value_set=pa.array(bad)), False), norm, offset,
                       ("Tags",))

    def _sum(self, batch, norm: dict) -> None:
        """BilledCost per (billing period, provider, currency), exact (Decimal), for the warehouse comparison."""
        import pyarrow as pa
        import pyarrow.compute as pc

        needed = ("BilledCost", "BillingPeriodStart", "BillingCurrency")
        provider = norm.get("x_Provider", norm.get("ProviderName"))
        if any(n not in norm for n in needed) or provider is None:
            return
        start = norm["BillingPeriodStart"]
        if _constant(start):
            period = pa.array([(_plain(start[0].as_py()) or "")[:7]] * len(start), pa.string())
        else:
            period = pc.utf8_slice_codeunits(_text(start), 0, 7)
        keys = pc.binary_join_element_wise(period, provider, norm["BillingCurrency"], "|")
        typed = batch.column("BilledCost") if "BilledCost" in batch.schema.names else None
        for key in pc.unique(keys).to_pylist():
            if key is None:
                continue
            mask = pc.equal(keys, key)
            if typed is not None and pa.types.is_decimal128(typed.type):
                # Arrow adds decimals as integers but wraps past its type's digits: a batch of 38-digit values
                # summed as decimal256 (76 digits) cannot overflow.
                wide = pc.cast(pc.filter(typed, mask), pa.decimal256(76, typed.type.scale))
                total = pc.sum(wide).as_py() or ZERO
            elif typed is not None and pa.types.is_decimal(typed.type):
                total = exact_sum(v for v in pc.filter(typed, mask).to_pylist() if v is not None)
            else:
                total = exact_sum(_decimal(v) or ZERO for v in pc.filter(norm["BilledCost"], mask).to_pylist())
            period, name, currency = key.split("|")
            group = (period, PROVIDER_KEYS.get(name, name), currency)
            self._totals[group] = add(self._totals[group], total)
            self._row_counts[(period, PROVIDER_KEYS.get(name, name))] += pc.sum(mask).as_py()

    # -- the verdict -------------------------------------------------------------------------------
    def totals(self) -> dict[tuple[str, str, str], Decimal]:
        return dict(self._totals)

    def groups(self) -> set[tuple[str, str]]:
        """The (YYYY-MM, provider) pairs the file holds rows of."""
        return set(self._row_counts)

    def finish(self, truth: Truth | None) -> CheckReport:
        """Close the check against cost_data's ``truth`` (None: the warehouse comparison is left out)."""
        for service, categories in self._services.items():
            if len(categories) > 1:
                self._violation("ServiceNameCategory", service, samples=[{"ServiceName": service,
                                                                            "ServiceCategory": sorted(categories)}])
        report = self.report
        report.totals = self.totals()
        if truth is not None:
            warehouse = truth.amounts
            keys = sorted(set(report.totals) | set(warehouse))
            report.comparisons = [TotalComparison(p, prov, cur, report.totals.get((p, prov, cur)),
                                                  warehouse.get((p, prov, cur))) for p, prov, cur in keys]
            for key in sorted(set(self._row_counts) | set(truth.rows)):
                if self._row_counts.get(key, 0) != truth.rows.get(key, 0):
                    self._violation("RowCount", " ".join(key), samples=[{"file": self._row_counts.get(key, 0),
                                                                         "cost_data": truth.rows.get(key, 0)}])
            for comparison in report.comparisons:
                if not comparison.equal:
                    self._violation("BilledCostTotal", f"{comparison.period} {comparison.provider} {comparison.currency}",
                                    samples=[{"file": _show(comparison.in_file),
                                              "cost_data": _show(comparison.in_warehouse)}])
        report.violations = sorted(self._found.values(), key=lambda f: (f.rule, f.detail))
        report.deviations = sorted(self._deviations.values(), key=lambda f: f.rule)
        return report


def normalize(batch: pa.RecordBatch) -> dict[str, pa.Array]:
    """The batch's columns by name: text, decimals and UTC timestamps as they are, anything else as text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = {}
    for name, array in zip(batch.schema.names, batch.columns, strict=True):
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        typed = pa.types.is_decimal(array.type) or (pa.types.is_timestamp(array.type) and array.type.tz)
        out[name] = array if pa.types.is_string(array.type) or typed else pc.cast(array, pa.string())
    return out


def _text(array: pa.Array) -> pa.Array:
    """FOCUS text of a typed column (timestamps in whole seconds, as FOCUS writes them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_timestamp(array.type):
        seconds = pc.cast(array, pa.timestamp("s", tz=array.type.tz), safe=False)
        return pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ")
    return array if pa.types.is_string(array.type) else pc.cast(array, pa.string())


def _constant(array: pa.Array) -> bool:
    import pyarrow.compute as pc

    return len(array) > 0 and array.null_count == 0 and pc.count_distinct(array).as_py() == 1


def _plain(value: Any) -> Any:
    """A sample value for JSON and messages: FOCUS text for datetimes and decimals."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _flat_json_object(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and all(
        v is None or isinstance(v, str | int | float | bool) for v in value.values())


# -- reading files ----------------------------------------------------------------------------------
def csv_header(path: Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])


def check_file(path: Path, source: str, truth=None, fmt: str | None = None) -> CheckReport:
    """Check one local FOCUS file (CSV or Parquet, from its suffix or ``fmt``) against cost_data's ``truth``:
    a Truth, None, or a callable given the file's (YYYY-MM, provider) groups that returns their Truth."""
    checker = checker_for(path, source, fmt)
    for batch in batches(path, fmt):
        checker.add(batch)
    return checker.finish(truth(checker.groups()) if callable(truth) else truth)


def check_stream(stream, source: str) -> Checker:
    """Check a FOCUS CSV arriving on a stream (the COPY output, as it is written); ``finish`` it with the truth."""
    import pyarrow as pa

    from finops.export.columns import COLUMN_NAMES
    from finops.export.writers import csv_reader

    reader = csv_reader(stream, dict.fromkeys(COLUMN_NAMES, pa.string()), block_size=CHECK_CSV_BLOCK, threads=False)
    checker = Checker(source, reader.schema.names)
    for batch in reader:
        checker.add(batch)
    return checker


def checker_for(path: Path, source: str, fmt: str | None = None) -> Checker:
    if (fmt or path.suffix.lstrip(".")) == "parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        return Checker(source, schema.names, schema)
    return Checker(source, csv_header(path))


def batches(path: Path, fmt: str | None = None):
    """The file's rows in batches: Parquet typed as written; CSV as text (null = empty unquoted field)."""
    if (fmt or path.suffix.lstrip(".")) == "parquet":
        import pyarrow.parquet as pq

        yield from pq.ParquetFile(path, pre_buffer=False, buffer_size=2**20).iter_batches(batch_size=BATCH_ROWS)
        return
    import pyarrow as pa

    from finops.export.writers import csv_reader

    yield from csv_reader(path, dict.fromkeys(csv_header(path), pa.string()), block_size=CHECK_CSV_BLOCK, threads=False)

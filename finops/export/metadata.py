"""The metadata JSON beside each data file: FOCUS version, data generator, schema and column definitions.

Shaped after the FOCUS 1.1+ metadata (``DataGenerator``, ``Schemas`` with ``SchemaId``, ``FocusVersion``,
``CreationDate`` and ``ColumnDefinition``), plus what a reader needs to trust the file: the billing
period, provider, rows, BilledCost total, the data file's SHA-256 and the conformance verdict.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from finops.export.columns import COLUMNS, DECIMAL, FOCUS_VERSION
from finops.money import plain

if TYPE_CHECKING:
    import pyarrow as pa

    from finops.export.conformance import CheckReport
    from finops.export.months import Month

GENERATOR = "finops-airflow"
SCHEMA_NAMESPACE = uuid.UUID("6f1c2a52-4a0e-4d8e-9b1e-2f0c6a7d1a17")


def generator_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(GENERATOR)
    except PackageNotFoundError:
        return "0+unknown"


def column_definitions(schema: pa.Schema | None = None) -> list[dict[str, Any]]:
    """One entry per column in file order; Parquet decimals carry their precision and scale."""
    out = []
    for column in COLUMNS:
        entry: dict[str, Any] = {
            "ColumnName": column.name,
            "DataType": column.data_type,
            "ColumnType": "Custom" if column.custom else "FOCUS",
            "Nullable": column.nullable,
            "Source": column.source,
        }
        if schema is not None and column.data_type == DECIMAL:
            arrow_type = schema.field(column.name).type
            entry["NumberPrecision"], entry["NumberScale"] = arrow_type.precision, arrow_type.scale
        out.append(entry)
    return out


def schema_id(definitions: list[dict[str, Any]]) -> str:
    """Stable across exports while the columns and their types stay the same."""
    key = json.dumps([(d["ColumnName"], d["DataType"], d.get("NumberScale")) for d in definitions])
    return str(uuid.uuid5(SCHEMA_NAMESPACE, f"focus-{FOCUS_VERSION}:{key}"))


def build(month: Month, provider: str, fmt: str, data_file: str, size: int, sha256: str, report: CheckReport,
          schema: pa.Schema | None, created: datetime | None = None) -> dict[str, Any]:
    definitions = column_definitions(schema)
    created = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "FocusVersion": FOCUS_VERSION,
        "DataGenerator": {"DataGenerator": GENERATOR, "DataGeneratorVersion": generator_version()},
        "Schemas": [{
            "SchemaId": schema_id(definitions),
            "FocusVersion": FOCUS_VERSION,
            "CreationDate": created,
            "ColumnDefinition": definitions,
        }],
        "Dataset": {
            "BillingPeriod": str(month),
            "BillingPeriodStart": f"{month.start}T00:00:00Z",
            "BillingPeriodEnd": f"{month.end}T00:00:00Z",
            "Provider": provider,
            "Format": fmt,
            "DataFile": data_file,
            "Bytes": size,
            "Sha256": sha256,
            "Rows": report.rows,
            "BilledCostTotals": {f"{p} {prov} {cur}": plain(v) for (p, prov, cur), v in sorted(report.totals.items())},
            "CreatedAt": created,
        },
        "Conformance": report.as_json(),
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False) + "\n"

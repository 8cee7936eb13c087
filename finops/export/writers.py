"""The file formats: CSV is PostgreSQL's COPY output as is; Parquet is that CSV typed, batch by batch.

Both keep full precision: Parquet decimals get the month's widest scale (decimal128, or decimal256 when
38 digits do not hold it), never a float. Memory is bounded by a row group, not by the month.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING

from finops.export.columns import COLUMNS, DATETIME, DECIMAL, FOCUS_VERSION

if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO

    import pyarrow as pa

    from finops.export.source import ProviderTotals

CSV_BLOCK = 4 * 2**20  # bytes of CSV parsed at a time
STREAM_BLOCK = 2**20  # the COPY stream typed into Parquet: one thread, 1 MB at a time (peak memory, measured)
ROW_GROUP = 64 * 1024  # rows per Parquet row group: what the writer holds in memory
QUANTITY_COLUMNS = ("ConsumedQuantity", "PricingQuantity")
#: The usual scales: 24 keeps the 17 significant digits of OpenAI's float-noisy amounts down to 1e-8 USD,
#: with 14 integer digits to spare; quantities are counts, sometimes in thousands with fractions.
COST_SCALE = 24
QUANTITY_SCALE = 12


def decimal_type(scale: int, largest: Decimal, usual_scale: int) -> pa.DataType:
    """decimal128(38, usual_scale) when the month's values fit it (every file then has the same type, which
    multi-file readers need); else the month's widest scale, in decimal256 when 38 digits do not hold it."""
    import pyarrow as pa

    scale = max(scale, 0)
    integer_digits = max(largest.adjusted() + 1, 1) if largest else 1
    if scale <= usual_scale and integer_digits + usual_scale <= 38:
        return pa.decimal128(38, usual_scale)
    if integer_digits + scale <= 38:
        return pa.decimal128(38, scale)
    if integer_digits + scale <= 76:
        return pa.decimal256(76, scale)
    raise ValueError(f"a value needs {integer_digits + scale} digits; Parquet decimals hold 76")


def parquet_schema(totals: ProviderTotals) -> pa.Schema:
    """The Arrow schema of the month's Parquet file (types from columns.COLUMNS, scales from the data)."""
    import pyarrow as pa

    cost = decimal_type(totals.amount_scale, totals.amount_max, COST_SCALE)
    quantity = decimal_type(totals.quantity_scale, totals.quantity_max, QUANTITY_SCALE)
    fields = []
    for column in COLUMNS:
        if column.data_type == DECIMAL:
            kind = quantity if column.name in QUANTITY_COLUMNS else cost
        elif column.data_type == DATETIME:
            kind = pa.timestamp("s", tz="UTC")
        else:
            kind = pa.string()
        fields.append(pa.field(column.name, kind))
    return pa.schema(fields, metadata={"FocusVersion": FOCUS_VERSION})


def csv_reader(path: Path | IO[bytes], types: dict[str, pa.DataType], block_size: int = CSV_BLOCK, threads: bool = True):
    """A streaming reader of a FOCUS CSV: empty unquoted fields are null, a quoted ``""`` stays an empty string."""
    import pyarrow.csv as pacsv

    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=block_size, use_threads=threads),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                             quoted_strings_can_be_null=False, null_values=[""]),
    )


def csv_to_parquet(source: Path | IO[bytes], target: Path, totals: ProviderTotals) -> tuple[int, str]:
    """Type a FOCUS CSV (a file, or the COPY stream) into ``target`` in row groups; returns (bytes, sha256)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(totals)
    reader = csv_reader(source, {f.name: f.type for f in schema}, block_size=STREAM_BLOCK, threads=False)
    pending: list[pa.RecordBatch] = []
    rows = 0
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            if rows >= ROW_GROUP:
                writer.write_table(pa.Table.from_batches(pending, schema=schema))
                pending, rows = [], 0
        if pending:
            writer.write_table(pa.Table.from_batches(pending, schema=schema))
    return target.stat().st_size, file_sha256(target)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()

"""Export one billing month as FOCUS 1.2 files, and check published files: what the CLI and the DAG call.

An export: refuse a future month and an unusable DEST, take the month's lock and one snapshot, and per
provider stream the mapping into a temporary file, type it (Parquet), check it against the rules and
the snapshot's totals, write the metadata, and only then move both into place. A failure or a kill at
any step leaves the previously published month as it was.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from finops.errors import UsageError
from finops.export import metadata
from finops.export.conformance import CheckReport, check_file, check_stream
from finops.export.destination import (
    FORMATS,
    Destination,
    data_name,
    metadata_name,
    partition,
    resolve,
    temp_name,
)
from finops.export.errors import NoCostData, NotConformant
from finops.export.months import Month, refuse_future
from finops.export.pipe import StreamConsumer
from finops.export.source import (
    PROVIDERS,
    month_snapshot,
    month_totals,
    snapshot_truth,
    stream_csv,
    truth_for,
)
from finops.money import plain

if TYPE_CHECKING:
    from datetime import date

    import psycopg

    from finops.export.source import ProviderTotals

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportResult:
    """One published partition: where its files are, what they hold and the check's report."""

    month: Month
    provider: str
    fmt: str
    data_uri: str
    metadata_uri: str
    bytes: int
    report: CheckReport
    seconds: float
    stale_removed: tuple[str, ...] = ()

    def line(self) -> str:
        total = ", ".join(f"{plain(v)} {cur}" for (_, _, cur), v in sorted(self.report.totals.items()))
        return (f"{self.month} {self.provider}: {self.report.rows:,} rows, BilledCost {total or '0'}, "
                f"{self.bytes / 1e6:.1f} MB {self.fmt} in {self.seconds:.1f} s -> {self.data_uri}")


def check_arguments(fmt: str, provider: str | None) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r}).")
    if provider is not None and provider not in PROVIDERS:
        raise UsageError(f"--provider must be one of {', '.join(PROVIDERS)} (got {provider!r}).")


def export_month(month: Month | str, *, today: date, provider: str | None = None, fmt: str = "csv",
                 dest: str | None = None) -> list[ExportResult]:
    """Export ``month`` for ``provider`` (default: every provider with rows in it) to ``dest``."""
    month = Month.parse(month) if isinstance(month, str) else month
    check_arguments(fmt, provider)
    refuse_future(month, today)
    destination = resolve(dest)
    destination.probe()
    with month_snapshot(month) as conn:
        found = month_totals(conn, month, provider)
        if not found:
            who = f"provider {provider}" if provider else "any provider"
            raise NoCostData(
                f"No cost rows for {who} in {month}, so nothing was written; collect the month first "
                "(a range run of the collection DAG with start_date/end_date) or pick a month with data."
            )
        return [_export_provider(conn, destination, month, totals, fmt) for totals in found]


def _export_provider(conn: psycopg.Connection, destination: Destination, month: Month, totals: ProviderTotals,
                     fmt: str) -> ExportResult:
    started = time.perf_counter()
    provider = totals.provider
    stale = destination.remove_stale_temporaries(month, provider)
    if stale:
        log.warning("Removed %d temporary file(s) an interrupted export of %s %s left: %s", len(stale), month,
                    provider, ", ".join(stale))
    folder = destination.staging_dir(month, provider)
    final_data, final_metadata = data_name(month, provider, fmt), metadata_name(month, provider)
    data_path = folder / temp_name(final_data)
    temporaries = [data_path]
    source = destination.uri(f"{partition(month, provider)}/{final_data}")
    truth = snapshot_truth(month, totals)
    try:
        # The COPY stream is read by a thread as it is written: the check (CSV) or the Parquet writer runs
        # beside PostgreSQL, not after it.
        if fmt == "csv":
            consumer = StreamConsumer(lambda stream: check_stream(stream, source))
            schema = None
        else:
            from finops.export.writers import csv_to_parquet

            def write_then_check(stream):  # one thread: Arrow's allocator reuses the writer's memory for the check
                written = csv_to_parquet(stream, data_path, totals)
                return written, check_file(data_path, source, truth, fmt="parquet")  # the file as written

            consumer = StreamConsumer(write_then_check)
        try:
            size, sha256 = stream_csv(conn, provider, month, data_path if fmt == "csv" else None, consumer.feed)
        except BaseException:
            consumer.abort()
            raise
        if fmt == "csv":
            report = consumer.finish().finish(truth)
        else:
            import pyarrow.parquet as pq

            (size, sha256), report = consumer.finish()
            schema = pq.read_schema(data_path)
        if not report.ok:
            raise NotConformant(report)
        metadata_path = folder / temp_name(final_metadata)
        temporaries.append(metadata_path)
        document = metadata.build(month, provider, fmt, final_data, size, sha256, report, schema)
        metadata_path.write_text(metadata.dumps(document))
        data_uri, metadata_uri = destination.publish(
            month, provider, [(data_path, final_data), (metadata_path, final_metadata)], fmt)
    finally:
        for path in temporaries:
            path.unlink(missing_ok=True)
        destination.discard_staging(folder)
    result = ExportResult(month, provider, fmt, data_uri, metadata_uri, size, report, time.perf_counter() - started,
                          tuple(stale))
    log.info("FOCUS export %s", result.line())
    return result


def check_published(path: str) -> list[CheckReport]:
    """``finops export focus --check PATH``: every FOCUS file under PATH (local or s3://) against the rules
    and cost_data."""
    from finops.warehouse.db import connect

    destination = resolve(path)
    relatives = destination.data_files()
    if not relatives:
        raise UsageError(f"{path} holds no FOCUS files (focus-*.csv or focus-*.parquet); give a file or the export folder.")
    reports = []
    with tempfile.TemporaryDirectory(prefix="finops-focus-check-") as scratch, connect() as conn:
        for relative in relatives:
            local = destination.fetch(relative, Path(scratch))
            source = destination.uri(relative) if relative else str(destination)
            report = check_file(local, source, lambda groups: truth_for(conn, groups))
            verify_metadata(report, destination.metadata_beside(relative), local)
            reports.append(report)
            if destination.local is None:
                local.unlink(missing_ok=True)
    return reports


def verify_metadata(report: CheckReport, text: str | None, data: Path) -> None:
    """The published pair belongs together: the metadata names this file's SHA-256 and row count."""
    from finops.export.columns import FOCUS_VERSION
    from finops.export.writers import file_sha256

    if text is None:
        report.add_violation("MetadataMatches", "missing", {"expected": data.name.rsplit(".", 1)[0] + ".metadata.json"})
        return
    try:
        document = json.loads(text)
        dataset, version = document["Dataset"], document["FocusVersion"]
    except (ValueError, KeyError, TypeError):
        report.add_violation("MetadataMatches", "unreadable", {"why": "not the JSON this export writes"})
        return
    found = {"FocusVersion": version, "Sha256": dataset.get("Sha256"), "Rows": dataset.get("Rows")}
    wanted = {"FocusVersion": FOCUS_VERSION, "Sha256": file_sha256(data), "Rows": report.rows}
    for key in found:
        if found[key] != wanted[key]:
            report.add_violation("MetadataMatches", key, {"metadata": found[key], "data file": wanted[key]})

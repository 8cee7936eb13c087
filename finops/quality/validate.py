"""Validate one window of cost_data with Great Expectations (imported only when a validation runs)."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from finops.errors import UsageError
from finops.quality.report import FailedExpectation, QualityReport
from finops.quality.suite import DEFAULT_CURRENCIES, WindowScope, batch_query, build_suite, team_scope
from finops.warehouse.db import FINOPS_DB_CONN_ID, sqlalchemy_url

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

KEY_COLUMNS = ["team_id", "usage_date", "project_id", "line_item", "currency"]
SAMPLE_SIZE = 5
DATA_DOCS_SITE = "finops_local_site"
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": KEY_COLUMNS,
    "partial_unexpected_count": 20,
    "return_unexpected_index_query": False,
}


def validate_window(
    window_start: date,
    window_end: date,
    *,
    team_ids: Sequence[str] | None = None,
    settle_days: int,
    today: date | None = None,
    docs_dir: Path | None = None,
    conn_id: str = FINOPS_DB_CONN_ID,
    currencies: Sequence[str] | None = None,
    provider: str = "openai",
) -> QualityReport:
    """Run the cost_data_window suite on one provider's [window_start, window_end) and report what failed."""
    if window_end <= window_start:
        raise UsageError(
            f"The window {window_start}..{window_end} is empty; window_end is exclusive and must be later."
        )
    if settle_days < 0:
        raise UsageError(f"settle_days must be zero or more, not {settle_days}.")
    today = today or datetime.now(UTC).date()
    scope = WindowScope(
        window_start=window_start,
        window_end=window_end,
        team_ids=team_scope(team_ids),
        settled_before=today - timedelta(days=settle_days),
        currencies=tuple(c.lower() for c in currencies) if currencies else DEFAULT_CURRENCIES,
        provider=provider,
    )
    with _quiet_gx():
        result, docs_path = _run_gx(scope, docs_dir=docs_dir, conn_id=conn_id)
    report = _report(scope, result)
    report.docs_path = docs_path
    return report


@contextmanager
def _quiet_gx() -> Iterator[None]:
    """Keep GX's per-expectation INFO chatter out of the task log while a validation runs."""
    gx_logger = logging.getLogger("great_expectations")
    level = gx_logger.level
    gx_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        gx_logger.setLevel(level)


def _run_gx(scope: WindowScope, *, docs_dir: Path | None, conn_id: str) -> tuple[Any, Path | None]:
    """Build an ephemeral GX context for the window, run the checkpoint, optionally write Data Docs."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    from finops.quality.docs import site_config

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            data_docs_sites={DATA_DOCS_SITE: site_config(docs_dir)} if docs_dir is not None else {},
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    source = context.data_sources.add_postgres(
        name="finops_warehouse", connection_string=sqlalchemy_url(conn_id)
    )
    asset = source.add_query_asset(name="cost_data_window", query=batch_query(scope))
    batch_definition = asset.add_batch_definition_whole_table(
        f"{scope.window_start.isoformat()}..{scope.window_end.isoformat()}"
    )
    suite = context.suites.add(build_suite(scope))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name="cost_data_window", data=batch_definition, suite=suite)
    )
    actions = []
    if docs_dir is not None:
        actions.append(UpdateDataDocsAction(name="data_docs", site_names=[DATA_DOCS_SITE]))
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="cost_data_window",
            validation_definitions=[validation],
            actions=actions,
            result_format=RESULT_FORMAT,
        )
    )
    checkpoint_result = checkpoint.run(expectation_parameters=scope.suite_parameters())
    (result,) = checkpoint_result.run_results.values()
    docs_path = None
    if docs_dir is not None:
        from finops.quality.docs import make_offline

        docs_path = make_offline(docs_dir)
    return result, docs_path


def _report(scope: WindowScope, result: Any) -> QualityReport:
    """Turn a GX suite validation result into a QualityReport."""
    failures: list[FailedExpectation] = []
    rows = 0
    for r in result.results:
        config = r.expectation_config
        name = config.meta.get("name", config.type)
        if config.type == "expect_table_row_count_to_be_between":
            rows = int(r.result.get("observed_value") or 0)
        if r.success:
            continue
        count, sample = _unexpected(r)
        failures.append(
            FailedExpectation(
                name=name,
                description=config.description or config.type,
                unexpected_count=count,
                sample=sample,
            )
        )
    return QualityReport(
        window_start=scope.window_start,
        window_end=scope.window_end,
        success=bool(result.success),
        failures=sorted(failures, key=lambda f: f.name),
        not_yet_settled=scope.not_yet_settled(),
        rows_validated=rows,
        expectations_evaluated=len(result.results),
    )


def _unexpected(r: Any) -> tuple[int, list[str]]:
    """The count of offending rows and a sample of their keys, whatever the expectation kind."""
    res = r.result or {}
    error = _exception_message(r.exception_info)
    if error:
        return 0, [f"could not be evaluated: {error}"]
    details = res.get("details") or {}
    if "unexpected_rows" in details:
        rows = details["unexpected_rows"] or []
        return int(res.get("observed_value") or len(rows)), [_key(row) for row in rows[:SAMPLE_SIZE]]
    count = int(res.get("unexpected_count") or 0)
    indexed = res.get("partial_unexpected_index_list") or res.get("unexpected_index_list") or []
    if indexed:
        return count, [_key(row) for row in indexed[:SAMPLE_SIZE]]
    values = res.get("partial_unexpected_list") or []
    if values:
        return count, [_key(v) for v in values[:SAMPLE_SIZE]]
    if "observed_value" in res:
        return count, [f"observed {res['observed_value']}"]
    return count, []


def _exception_message(info: Any) -> str | None:
    """The first line of the error that stopped an expectation (GX nests it per metric for query metrics)."""
    if not isinstance(info, dict):
        return None
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            return str(candidate.get("exception_message") or "unknown error").strip().splitlines()[0]
    return None


def _key(row: Any) -> str:
    """A compact key of an offending row: 'col=value' pairs, or the value itself."""
    if isinstance(row, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in row.items())
    if isinstance(row, (list, tuple)):
        return ", ".join(_plain(v) for v in row)
    return _plain(row)


def _plain(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return (
            value.isoformat()[:10]
            if isinstance(value, datetime) and value.time() == datetime.min.time()
            else value.isoformat()
        )
    return str(value)

"""Data quality of collected costs: the Great Expectations suite run on one window of cost_data."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from finops.quality.report import DataQualityError, FailedExpectation, QualityReport
from finops.quality.validate import validate_window

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from pathlib import Path

__all__ = [
    "CURRENCIES_VARIABLE",
    "DataQualityError",
    "FailedExpectation",
    "QualityReport",
    "accepted_currencies",
    "run_quality_check",
    "validate_window",
]

log = logging.getLogger(__name__)

CURRENCIES_VARIABLE = "finops_accepted_currencies"


def accepted_currencies() -> list[str]:
    """Accepted currency codes from the Airflow variable (a JSON list or comma-separated; default usd)."""
    from finops.lookup import get_variable

    raw = get_variable(CURRENCIES_VARIABLE, default="usd")
    if isinstance(raw, str) and raw.strip().startswith("["):
        raw = json.loads(raw)
    values = raw if isinstance(raw, list) else str(raw).split(",")
    return [str(v).strip().lower() for v in values if str(v).strip()] or ["usd"]


def run_quality_check(
    window_start: date,
    window_end: date,
    team_ids: Sequence[str] | None,
    settle_days: int,
    docs_dir: Path | None,
    *,
    today: date | None = None,
    currencies: Sequence[str] | None = None,
    provider: str = "openai",
) -> QualityReport:
    """The DAG's quality task: validate the window, log the summary, raise DataQualityError on failure."""
    report = validate_window(
        window_start,
        window_end,
        team_ids=team_ids,
        settle_days=settle_days,
        today=today,
        docs_dir=docs_dir,
        currencies=currencies if currencies is not None else accepted_currencies(),
        provider=provider,
    )
    log.info("%s", report.summary())
    if not report.success:
        raise DataQualityError(report)
    return report

"""What a window validation found: a typed report, and the error the DAG raises on failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from finops.errors import FinopsError

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation of the suite that failed, with how many rows broke it and a few of their keys."""

    name: str
    description: str
    unexpected_count: int
    sample: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One log line: name, count, description and sample."""
        text = f"{self.name}: {self.unexpected_count} unexpected - {self.description}"
        if self.sample:
            text += f" e.g. {'; '.join(self.sample)}"
        return text


@dataclass
class QualityReport:
    """Outcome of validating one window of cost_data against the suite."""

    window_start: date
    window_end: date
    success: bool
    failures: list[FailedExpectation] = field(default_factory=list)
    not_yet_settled: list[date] = field(default_factory=list)
    rows_validated: int = 0
    expectations_evaluated: int = 0
    docs_path: Path | None = None

    def summary(self) -> str:
        """A multi-line, human-readable account suitable for a task log."""
        last_day = self.window_end - timedelta(days=1)
        lines = [
            f"Data quality of cost_data {self.window_start.isoformat()}..{last_day.isoformat()} "
            f"(window end {self.window_end.isoformat()} exclusive): {'PASSED' if self.success else 'FAILED'}",
            f"  rows validated: {self.rows_validated}; expectations evaluated: {self.expectations_evaluated}; "
            f"failed: {len(self.failures)}",
        ]
        lines += [f"  FAILED {failure.line()}" for failure in self.failures]
        if self.not_yet_settled:
            days = ", ".join(d.isoformat() for d in self.not_yet_settled)
            lines.append(
                f"  not yet settled (informational; their amounts may still change and the next run's look-back "
                f"collects them again): {days}"
            )
        if self.docs_path is not None:
            lines.append(f"  Data Docs: {self.docs_path}")
        return "\n".join(lines)


class DataQualityError(FinopsError):
    """The window's cost data broke one or more expectations; the message lists them with counts and keys."""

    def __init__(self, report: QualityReport) -> None:
        self.report = report
        failed = "; ".join(failure.line() for failure in report.failures) or "no expectation result"
        where = f" Full result: {report.docs_path}." if report.docs_path else ""
        super().__init__(
            f"Cost data for {report.window_start.isoformat()}..{report.window_end.isoformat()} (end exclusive) "
            f"failed {len(report.failures)} data-quality expectation(s): {failed}.{where} Fix the rows (usually by "
            "re-running the collection for the affected teams and days) and re-run the quality task."
        )

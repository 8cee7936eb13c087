"""The usage reconciliation: ``include/expectations/usage_reconciliation.json`` on the collected window.

Two row expectations (queries that must return nothing) over ``finops.usage_data`` and ``finops.cost_data``:
OpenAI's token quantities equal the usage tokens, and no settled day with token costs lacks usage. They are
plain SQL against PostgreSQL (no Great Expectations run: nothing to profile, two queries), reported in the
suite's shape (:class:`finops.quality.report.FailedExpectation`). They warn by default; the variable
``finops_usage_reconciliation`` = ``fail`` makes them a gate.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from finops import paths
from finops.errors import ConfigurationError, FinopsError
from finops.quality.report import FailedExpectation
from finops.quality.suite import WindowScope, render_sql, team_scope
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect, open_connection

log = logging.getLogger(__name__)

SUITE = "usage_reconciliation"
VARIABLE = "finops_usage_reconciliation"
MODES = ("warn", "fail")
SAMPLE_SIZE = 5


class UsageReconciliationFailed(FinopsError):
    """The usage and the costs disagree (or usage is missing) and the reconciliation is a gate."""


@dataclass
class UsageReconciliation:
    """What the reconciliation found: failed expectations with counts and samples."""

    window_start: date
    window_end: date
    provider: str
    failures: list[FailedExpectation] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        head = (f"Usage reconciliation ({self.provider}) {self.window_start}..{self.window_end - timedelta(days=1)}: "
                f"{'PASSED' if self.success else 'MISMATCHES FOUND'}")
        return "\n".join([head, *(f"  {f.line()}" for f in self.failures)])


def mode(setting: object = None) -> str:
    """``warn`` (default) or ``fail``, from the variable's value."""
    text = "warn" if setting in (None, "") else str(setting).strip().lower()
    if text not in MODES:
        raise ConfigurationError(f"The Airflow variable `{VARIABLE}` is {setting!r}; set it to `warn` (report "
                                 "mismatches in the task log) or `fail` (fail the quality task on a mismatch).")
    return text


def _suite() -> dict:
    return json.loads((paths.include_dir() / "expectations" / f"{SUITE}.json").read_text())


def reconcile_usage(window_start: date, window_end: date, *, team_ids: Sequence[str] | None = None,
                    settled_before: date, provider: str = "openai", conn_id: str = FINOPS_DB_CONN_ID,
                    params: dict | None = None) -> UsageReconciliation:
    """Run the reconciliation's expectations on one provider's window; each mismatch is a sampled row.

    ``params`` (:func:`finops.warehouse.db.connection_params`, resolved already) lets a helper thread connect
    without looking the connection up itself."""
    scope = WindowScope(window_start=window_start, window_end=window_end, team_ids=team_scope(team_ids),
                        settled_before=settled_before, provider=provider)
    result = UsageReconciliation(window_start, window_end, provider)
    with (open_connection(params, conn_id) if params is not None else connect(conn_id)) as conn:
        conn.execute(paths.sql("quality/usage_work_mem"))
        for expectation in _suite()["expectations"]:
            meta = expectation["meta"]
            cur = conn.execute(render_sql(meta["sql"], scope, keep_batch=False))
            names = [d.name for d in cur.description]
            rows = cur.fetchall()
            if rows:
                sample = [", ".join(f"{n}={v}" for n, v in zip(names, row, strict=True)) for row in rows[:SAMPLE_SIZE]]
                result.failures.append(FailedExpectation(name=meta["name"], description=expectation["description"],
                                                         unexpected_count=len(rows), sample=sample))
    return result


def check_usage(window_start: date, window_end: date, team_ids: Sequence[str] | None, *, settled_before: date,
                provider: str = "openai", setting: object = None) -> UsageReconciliation:
    """Reconcile, log the verdict, and raise :class:`UsageReconciliationFailed` when it is a gate and failed."""
    return judge_usage(reconcile_usage(window_start, window_end, team_ids=team_ids, settled_before=settled_before,
                                       provider=provider), setting)


def judge_usage(result: UsageReconciliation, setting: object = None) -> UsageReconciliation:
    """Log a reconciliation's verdict; raise :class:`UsageReconciliationFailed` when it failed and ``setting`` (the
    variable's value) makes it a gate."""
    gate = mode(setting) == "fail"
    if result.success:
        log.info("%s", result.summary())
        return result
    log.warning("%s", result.summary())
    if gate:
        raise UsageReconciliationFailed(
            f"{result.summary()}\nThe usage and the costs disagree; re-run the collection for these teams and days "
            f"(usage settles like costs), or set the variable `{VARIABLE}` to `warn` to report without failing."
        )
    return result

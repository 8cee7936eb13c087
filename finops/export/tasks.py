"""Bodies of the ``finops_focus_export`` DAG's tasks: which months to export, and one export each."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from finops.errors import FinopsError, UsageError
from finops.export.months import Month, months_touched

log = logging.getLogger(__name__)

DEST_VARIABLE = "finops_focus_dest"
FORMAT_VARIABLE = "finops_focus_format"
COST_DATA_ASSET = "finops.cost_data"


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def cost_data_events(triggering_asset_events: Any) -> list[dict]:
    """The extras of the ``finops.cost_data`` events that triggered the run (none for a manual run)."""
    extras = []
    for asset, events in (triggering_asset_events or {}).items():
        if getattr(asset, "name", None) == COST_DATA_ASSET:
            extras += [dict(event.extra or {}) for event in events]
    return extras


def plan_exports(params: dict, events: list[dict], run_after: date) -> list[dict]:
    """(month, provider) pairs: the ``months`` param; else the billing months the events' windows touched,
    per provider; else the run's month and the one before, every provider."""
    provider = params.get("provider") or None
    if params.get("months"):
        months = sorted({Month.parse(m) for m in params["months"]})
        return [{"month": str(m), "provider": provider} for m in months]
    pairs: set[tuple[Month, str | None]] = set()
    for extra in events:
        try:
            start, end = _day(extra["window_start"]), _day(extra["window_end"])
        except (KeyError, ValueError):
            log.warning("A finops.cost_data event without a usable window was ignored: %s", extra)
            continue
        for month in months_touched(start, end):
            pairs.add((month, extra.get("provider") or provider))
    if not events:
        current = Month.of(run_after)
        pairs = {(current.previous(), provider), (current, provider)}
    plan = [{"month": str(m), "provider": p} for m, p in sorted(pairs, key=lambda mp: (mp[0], mp[1] or ""))]
    log.info("Months to export: %s", ", ".join(f"{p['month']} {p['provider'] or 'every provider'}" for p in plan)
             or "none")
    return plan


def run_destination(params: dict) -> str:
    """Where a run writes: the ``finops_focus_dest`` variable (or the default), or the ``dest`` param inside it."""
    from finops.export.destination import confine
    from finops.lookup import get_variable

    return confine(params.get("dest"), get_variable(DEST_VARIABLE, None))


def plan_exports_task(params: dict, triggering_asset_events: Any, run_after: Any) -> list[dict]:
    from airflow.sdk.exceptions import AirflowFailException

    try:
        run_destination(params)  # a `dest` outside the configured destination fails the run before any export
        return plan_exports(params, cost_data_events(triggering_asset_events), _day(run_after))
    except UsageError as exc:
        raise AirflowFailException(str(exc)) from None


def export_task(export: dict, params: dict, run_after: Any) -> dict:
    """Export one month; skipped when it has no costs; fails without retry on a rule broken or a bad DEST."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from finops.export import export_month
    from finops.export.errors import NoCostData
    from finops.lookup import get_variable

    fmt = params.get("format") or get_variable(FORMAT_VARIABLE, "csv")
    try:
        dest = run_destination(params)
        results = export_month(export["month"], today=_day(run_after), provider=export.get("provider"), fmt=fmt,
                               dest=dest)
    except NoCostData as exc:
        raise AirflowSkipException(str(exc)) from None
    except FinopsError as exc:
        if exc.retryable:
            raise
        raise AirflowFailException(str(exc)) from None
    for result in results:
        log.info("%s\n%s", result.line(), result.report.summary())
    return {
        "month": export["month"],
        "providers": [r.provider for r in results],
        "rows": sum(r.report.rows for r in results),
        "files": [r.data_uri for r in results],
        "deviations": {d.rule: d.count for r in results for d in r.report.deviations},
        "verdict": "PASSED",
    }

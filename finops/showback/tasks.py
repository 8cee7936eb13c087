"""Bodies of the ``finops_team_digests`` and ``finops_team_statements`` DAGs' tasks."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from finops.errors import FinopsError

log = logging.getLogger(__name__)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def run_day(context: Any) -> date:
    """The run's day: its logical date (a scheduled or dated run), else when it was triggered; never now().

    Not the data interval: a run triggered with a logical date gets the trigger time as its interval (Airflow 3.3).
    """
    moment = context.get("logical_date") or context["dag_run"].run_after
    return _day(moment)


def _team_ids(params: dict) -> list[str] | None:
    """The ``team_id`` param as a filter (None: every team)."""
    team = (params.get("team_id") or "").strip()
    return [team] if team else None


def compose_digests(params: dict, run_after: Any) -> dict[str, Any]:
    """Record this week's digest of each team with spend (once per team and ISO week; a rerun records nothing)."""
    from finops.showback import delivery, digest
    from finops.showback.figures import lookback_days
    from finops.warehouse.db import connect

    as_of, lookback = _day(run_after), lookback_days()
    teams = digest.teams_with_spend(as_of, lookback, _team_ids(params))
    recorded, already = [], []
    for team_id in teams:
        found = digest.load(team_id, as_of, lookback)
        with connect() as conn:
            new = delivery.record(conn, delivery.DIGEST, team_id, found.week,
                                  f"FinOps weekly digest {found.week} for {found.team_label}", found.message(), found.details())
        (recorded if new else already).append(team_id)
    log.info("Digests %s (as of %s): %d recorded (%s), %d already recorded this week; teams without spend get none.",
             digest.iso_week(as_of), as_of, len(recorded), ", ".join(recorded) or "-", len(already))
    return {"as_of": as_of.isoformat(), "recorded": recorded, "already": already}


def deliver(params: dict) -> dict[str, Any]:
    """Deliver pending digests and statements to the teams' channels; fail (and be retried) if any stays pending."""
    from airflow.sdk.exceptions import AirflowException

    from finops.showback.delivery import deliver_pending

    report = deliver_pending(_team_ids(params))
    log.info("Team deliveries: %s", report.summary())
    if report.failed:
        raise AirflowException(f"Team deliveries: {report.summary()} The retry sends only to the channels that failed.")
    return {"delivered": report.delivered}


def plan_statements(params: dict, run_after: Any) -> list[dict[str, Any]]:
    """(team, month) pairs to consider: the ``months`` param or the last settled months, teams with spend in them."""
    from finops.export.months import Month
    from finops.showback.figures import lookback_days
    from finops.showback.statements import settled_months, teams_in

    if params.get("months"):
        months = sorted({Month.parse(m).start for m in params["months"]})
    else:
        months = settled_months(_day(run_after), lookback_days())
    plan = [{"team_id": t, "month": m.isoformat()} for m in months for t in teams_in(m, _team_ids(params))]
    log.info("Statements to consider: %s", ", ".join(f"{p['team_id']} {p['month'][:7]}" for p in plan) or "none")
    return plan


def issue_statements(plan: list[dict[str, Any]], params: dict, run_after: Any, run_id: str | None) -> list[dict]:
    """Issue each settled (team, month) statement that is new or changed; the others are reported and left."""
    from airflow.sdk.exceptions import AirflowFailException

    from finops.lookup import get_variable
    from finops.showback.figures import lookback_days
    from finops.showback.statements import DEST_VARIABLE, destination, issue

    try:
        dest = destination(params.get("dest") or get_variable(DEST_VARIABLE, None))
    except FinopsError as exc:
        if exc.retryable:
            raise
        raise AirflowFailException(str(exc)) from None
    as_of, lookback, results, failed = _day(run_after), lookback_days(), [], []
    for item in plan:
        try:
            done = issue(item["team_id"], date.fromisoformat(item["month"]), as_of=as_of, lookback_days=lookback,
                         dest=dest, dag_run_id=run_id)
        except FinopsError as exc:  # one team's failure does not hold back the others' statements
            log.error("%s %s: %s", item["team_id"], item["month"][:7], exc)
            failed.append(f"{item['team_id']} {item['month'][:7]}: {exc}")
            continue
        log.info("%s %s: %s%s", done.team_id, done.month, done.outcome,
                 f" (version {done.version}, {done.html})" if done.version else "")
        results.append({"team_id": done.team_id, "month": done.month, "outcome": done.outcome,
                        "version": done.version, "html": done.html, "csv": done.csv, "changes": done.changes})
    if failed:
        from airflow.sdk.exceptions import AirflowException

        raise AirflowException(f"{len(failed)} statement(s) not issued, the retry tries them again: " + "; ".join(failed))
    return results

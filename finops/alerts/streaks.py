"""Per-team collection streaks: a failure alerts once per streak, the first success after it recovers.

The streak of each (provider, team) lives in ``finops.collection_streaks``. A run moves it only
when its last window day is not older than the newest day already observed, so reruns of old days
and backfills never resend or flip it. Within a streak, the same reason (digits ignored: counts and
timings vary) stays silent; a different reason alerts again.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date

from finops import paths
from finops.alerts import store
from finops.alerts.model import COLLECTION_FAILED, COLLECTION_RECOVERED, Alert

log = logging.getLogger(__name__)

NO_ATTEMPT = "no attempt recorded (its collection task did not run or was killed)"


@dataclass(frozen=True)
class TeamOutcome:
    team_id: str
    succeeded: bool
    reason: str = ""


def reason_key(reason: str) -> str:
    """What makes two failure reasons 'the same': the text without its numbers, case or spacing."""
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", reason or "")).strip().lower()


def _fingerprint(reason: str) -> str:
    return hashlib.sha256(reason_key(reason).encode()).hexdigest()[:12]


def run_outcomes(provider: str, dag_run_id: str, team_ids: list[str]) -> list[TeamOutcome]:
    """Each team's final outcome in the run; a team with no recorded attempt counts as failed."""
    from finops.warehouse.db import connect

    with connect() as conn:
        rows = {r[0]: (r[1], r[2]) for r in conn.execute(
            paths.sql("alerts/run_team_outcomes"), {"provider": provider, "dag_run_id": dag_run_id})}
    outcomes = []
    for team in team_ids:
        status, error = rows.get(team, ("failed", NO_ATTEMPT))
        outcomes.append(TeamOutcome(team, status == "success", "" if status == "success" else (error or NO_ATTEMPT)))
    return outcomes


def update_streaks(provider: str, dag_run_id: str, day: date, outcomes: list[TeamOutcome]) -> list[int]:
    """Move each team's streak by this run's outcome (``day``: the run's last window day); new alert ids."""
    from finops.warehouse.db import connect

    fired: list[int] = []
    for outcome in outcomes:
        with connect() as conn:  # one short transaction per team: the streak row is locked meanwhile
            key = {"provider": provider, "team_id": outcome.team_id}
            conn.execute(paths.sql("alerts/streak_ensure"), key)
            status, reason, since, observed_until = conn.execute(paths.sql("alerts/streak_lock"), key).fetchone()
            if observed_until is not None and day < observed_until:
                log.info("Team %s: run %s covers %s, older than %s already observed; its streak stays.",
                         outcome.team_id, dag_run_id, day, observed_until)
                continue
            alert = _transition(provider, dag_run_id, day, outcome, status, reason, since)
            new_status = "ok" if outcome.succeeded else "failing"
            if outcome.succeeded:
                new_reason, new_since = None, None
            elif status == "failing" and reason_key(reason) == reason_key(outcome.reason):
                new_reason, new_since = reason, since
            else:
                new_reason, new_since = outcome.reason, since if status == "failing" else day
            conn.execute(paths.sql("alerts/streak_update"), {
                **key, "status": new_status, "reason": new_reason, "since": new_since, "observed_until": day,
                "dag_run_id": dag_run_id})
            if alert is not None:
                alert_id = store.record(alert, conn)
                if alert_id is not None:
                    fired.append(alert_id)
    return fired


def _transition(provider: str, dag_run_id: str, day: date, outcome: TeamOutcome, status: str,
                reason: str | None, since: date | None) -> Alert | None:
    """The alert a streak change sends, or None (same failure again, or success after success)."""
    team = outcome.team_id
    if outcome.succeeded:
        if status != "failing":
            return None
        return Alert(
            kind=COLLECTION_RECOVERED, team_id=team, provider=provider, scope="collection",
            period=since.isoformat() if since else day.isoformat(),
            message=(f"Recovered: team {team}'s {provider} costs were collected again in run {dag_run_id} "
                     f"(failing since {since}: {reason})."),
            details={"dag_run_id": dag_run_id, "failing_since": str(since), "reason": reason},
        )
    if status == "failing" and reason_key(reason or "") == reason_key(outcome.reason):
        return None
    streak_start = since if status == "failing" else day
    return Alert(
        kind=COLLECTION_FAILED, team_id=team, provider=provider, scope=f"collection:{_fingerprint(outcome.reason)}",
        period=day.isoformat(),
        message=(f"Team {team}'s {provider} costs were not collected (run {dag_run_id}, failing since "
                 f"{streak_start}): {outcome.reason} Sent once per failure streak; the next success sends a "
                 "recovery notice."),
        details={"dag_run_id": dag_run_id, "failing_since": str(streak_start), "reason": outcome.reason},
    )

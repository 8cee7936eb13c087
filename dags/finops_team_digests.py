"""
### Weekly team digests

Every Monday at 06:00 UTC each team with spend gets a digest on its own channels (`finops channels set`):
the last 7 settled days against the 7 before, month to date against its budgets with the forecast, the
largest increases by model and project, the week's alerts, how final the figures are, and a link to
its page. A team without spend in those two weeks gets none.

**Once per team and week.** Each digest is recorded in `finops.team_deliveries` under the ISO week of
the run; a rerun, or a manual run in the same week, sends nothing new. A channel that fails leaves the
digest pending: `deliver` fails and is retried, and every later run delivers what is still pending.

**On demand.** Trigger with the param `team_id` for one team. See docs/showback.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task


@dag(
    dag_id="finops_team_digests",
    schedule=CronTriggerTimetable("0 6 * * 1", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["finops", "showback"],
    default_args={"owner": "finops", "retries": 2, "retry_delay": timedelta(minutes=5),
                  "retry_exponential_backoff": True, "max_retry_delay": timedelta(minutes=30)},
    params={"team_id": Param(None, type=["null", "string"], description="One team; empty: every team with spend.")},
)
def finops_team_digests():
    @task
    def compose_digests(params: dict) -> dict:
        """Record this week's digest of each team with spend (a rerun records nothing)."""
        from finops.showback.tasks import compose_digests, run_day

        return compose_digests(params, run_day(get_current_context()))

    @task
    def deliver(params: dict) -> dict:
        """Send pending digests and statements to the teams' channels; retried while any channel fails."""
        from finops.showback.tasks import deliver

        return deliver(params)

    compose_digests() >> deliver()


finops_team_digests()

"""
### Monthly team statements

Once a month is settled for a team (its last day outside the look-back and collected successfully for
every provider the team spent on), the team gets a statement: a printable HTML page (totals by
provider, project and model, daily chart, budget against actual, the line items) and a CSV of the same
lines, written to `finops_statements_dest` (a folder or `s3://`; default
`$AIRFLOW_HOME/finops_exports/statements/`) under `team=T/month=YYYY-MM/`, recorded in
`finops.team_statements` and delivered to the team's channels. Totals equal `finops.cost_data` exactly.

**Never silently changed.** Each daily run looks at the last two settled months: a restatement that
changed a line after issue produces an amended statement (version 2, ...) listing each changed line
with its old and new amount; an unchanged month issues nothing.

**Params.** `months` (YYYY-MM list), `team_id`, `dest`. See docs/showback.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task


@dag(
    dag_id="finops_team_statements",
    schedule=CronTriggerTimetable("0 7 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["finops", "showback"],
    default_args={"owner": "finops", "retries": 2, "retry_delay": timedelta(minutes=5),
                  "retry_exponential_backoff": True, "max_retry_delay": timedelta(minutes=30)},
    params={
        "months": Param([], type="array", items={"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                        description="Months (YYYY-MM); empty: the last two settled months."),
        "team_id": Param(None, type=["null", "string"], description="One team; empty: every team with spend."),
        "dest": Param(None, type=["null", "string"],
                      description="A folder or s3:// URL; empty: the finops_statements_dest variable."),
    },
)
def finops_team_statements():
    @task
    def plan_statements(params: dict) -> list[dict]:
        """The (team, month) pairs to consider."""
        from finops.showback.tasks import plan_statements, run_day

        return plan_statements(params, run_day(get_current_context()))

    @task
    def issue_statements(plan: list[dict], params: dict) -> list[dict]:
        """Issue each settled statement that is new or changed (amended) and queue its delivery."""
        from finops.showback.tasks import issue_statements, run_day

        context = get_current_context()
        return issue_statements(plan, params, run_day(context), context["dag_run"].run_id)

    @task
    def deliver(params: dict) -> dict:
        """Send pending statements and digests to the teams' channels; retried while any channel fails."""
        from finops.showback.tasks import deliver

        return deliver(params)

    issue_statements(plan_statements()) >> deliver()


finops_team_statements()

"""
### Spend alerts (budgets, forecasts, anomalies)

Runs after each collection: scheduled on the Asset `finops.cost_data` that the collection DAGs
update when their gates pass. Budgets: the months the triggering events' windows touch; a run
without an event (a manual trigger, `airflow dags test finops_spend_alerts`) evaluates the current
and the previous UTC month of its data interval end for every team. Anomalies: every settled day
not judged yet (`finops.anomaly_judgements`), whatever collected it; spikes of days before the
previous month are recorded, not sent.

1. `plan_scope`: the days, months and teams to evaluate, from the events or the run's dates.
2. `evaluate_alerts`: budget thresholds, month-end forecasts and spend anomalies; each alert is
   recorded once in `finops.alerts` (reruns and backfills never resend); metrics
   `finops.budget.utilization`, `finops.budget.forecast_utilization`, `finops.alerts.fired`.
3. `deliver_alerts`: the new alerts and any still pending, through the `finops_alerts` webhook,
   `finops_slack` and `finops_alert_email`; a failed channel fails the task, which is retried.

Rules and tuning: docs/budgets-and-alerts.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from finops.assets import COST_DATA


@dag(
    dag_id="finops_spend_alerts",
    schedule=[COST_DATA],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["finops", "alerts"],
    default_args={"owner": "finops", "retries": 2, "retry_delay": timedelta(minutes=2)},
)
def finops_spend_alerts():
    @task
    def plan_scope(triggering_asset_events=None, data_interval_end=None, run_after=None) -> dict:
        """What the run evaluates: the triggering windows, else two months of every team."""
        from finops.alerts.tasks import plan_scope_task

        return plan_scope_task(triggering_asset_events, data_interval_end, run_after)

    @task
    def evaluate_alerts(scope: dict) -> dict:
        """Budgets, forecasts and anomalies of the scope; each alert recorded once."""
        from finops.alerts.tasks import evaluate_task

        return evaluate_task(scope)

    @task
    def deliver_alerts() -> dict:
        """The new and the pending alerts, through every configured channel."""
        from finops.alerts.tasks import deliver_task

        return deliver_task()

    evaluate_alerts(plan_scope()) >> deliver_alerts()


finops_spend_alerts()

"""
### Collection deadline (late data)

Every hour, for each provider: the days whose deadline has passed (the day's end in UTC plus
`finops_collection_deadline_hours`, default 6) are checked in the warehouse, and a day on which some
team has no successful collection alerts once (`collection_late`, table `finops.alerts`), naming the
teams and the last day each was collected. The same task delivers every pending alert, so an alert
whose channel failed is retried within the hour.

"Now" is the run's data interval end, so a rerun of an hour repeats the same verdict. Why this is
a DAG and not an Airflow Deadline Alert: docs/monitoring.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

#: Providers whose collection is watched (a provider with no team set up for it alerts nothing).
PROVIDERS = ["openai", "anthropic"]


@dag(
    dag_id="finops_collection_deadline",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["finops", "alerts"],
    default_args={"owner": "finops", "retries": 2, "retry_delay": timedelta(minutes=2)},
)
def finops_collection_deadline():
    @task
    def check_collection_deadlines(data_interval_end=None) -> dict:
        """Late-day alerts for every provider, then delivery of pending alerts."""
        from finops.tasks import collection_deadlines_task

        return collection_deadlines_task(PROVIDERS, data_interval_end)

    check_collection_deadlines()


finops_collection_deadline()

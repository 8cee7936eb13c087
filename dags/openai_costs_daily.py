"""
### OpenAI costs, daily

Collects every active team's OpenAI costs for the previous UTC day (plus a look-back for
late-settling days) into `finops.cost_data`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable


@dag(
    dag_id="openai_costs_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    doc_md=__doc__,
    tags=["finops", "openai"],
    default_args={"owner": "finops", "retries": 2},
)
def openai_costs_daily():
    @task
    def list_active_teams() -> list[str]:
        return []

    list_active_teams()


openai_costs_daily()

"""
### FOCUS 1.2 export

Writes each billing month of AI costs as FOCUS 1.2 Cost and Usage files (the FinOps Foundation's
open format, read by Vantage, CloudZero, Finout, the Microsoft FinOps toolkit, ...), one folder per
month and provider: `DEST/billing_period=YYYY-MM/provider=P/` with the data file and a metadata JSON.

**Schedule.** On the Asset `finops.cost_data`: after a collection succeeds, the billing months its
window touched are exported again for its provider. A manual run with no params exports the run's
month and the one before, for every provider; params `months`, `provider`, `format`, `dest` narrow it.

**Where.** The `finops_focus_dest` variable, else `$AIRFLOW_HOME/finops_exports/focus/`; an `s3://`
URL goes through the `finops_exports` connection. The `dest` param may only choose a place inside
it (a relative path, or a folder or URL under it); anything else fails the run.
Format: `format` param, else `finops_focus_format` (`csv` or `parquet`; default `csv`).

**Tasks.** `plan_exports` -> `export_month` (one mapped instance per month, labelled with it). Each
export is checked against the FOCUS rules and `cost_data` before it replaces the previous files; a
broken rule fails the task (no retry) and names the rule, the count and sample rows. A month with
no costs is skipped. See docs/focus.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from finops.assets import COST_DATA


@dag(
    dag_id="finops_focus_export",
    schedule=[COST_DATA],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["finops", "focus", "export"],
    default_args={
        "owner": "finops",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
    },
    params={
        "months": Param([], type="array", items={"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                        description="Billing months (YYYY-MM) to export; empty: those the triggering data touched."),
        "provider": Param(None, type=["null", "string"], enum=[None, "openai", "anthropic"],
                          description="One provider; empty: every provider with costs in the month."),
        "format": Param(None, type=["null", "string"], enum=[None, "csv", "parquet"],
                        description="csv or parquet; empty: the finops_focus_format variable (default csv)."),
        "dest": Param(None, type=["null", "string"],
                      description="A place inside the finops_focus_dest variable's destination (default "
                                  "$AIRFLOW_HOME/finops_exports/focus): a relative path, or a folder or s3:// URL "
                                  "under it; empty: that destination."),
    },
)
def finops_focus_export():
    @task
    def plan_exports(params: dict, triggering_asset_events=None) -> list[dict]:
        """The months to export: those the triggering collections touched, or the params', or this month and the last."""
        from finops.export.tasks import plan_exports_task

        return plan_exports_task(params, triggering_asset_events, get_current_context()["dag_run"].run_after)

    @task(map_index_template="{{ export_label }}")
    def export_month(export: dict, params: dict) -> dict:
        """Write, check and publish one month as FOCUS files; returns where, rows and deviations."""
        from finops.export.tasks import export_task

        context = get_current_context()
        context["export_label"] = f"{export['month']} {export.get('provider') or 'all providers'}"
        return export_task(export, params, context["dag_run"].run_after)

    export_month.expand(export=plan_exports())


finops_focus_export()

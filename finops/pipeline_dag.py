"""The collection DAG factory: one definition builds ``openai_costs_daily`` and ``anthropic_costs_daily``.

Each provider's DAG has the same params, window rule, look-back, mapped collection (in the
provider's pool), gates, success rate, alerts, notifier and Asset event; only the provider differs.
Parsing imports nothing heavy: every task body imports its work from ``finops.tasks`` when it runs.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task

from finops.assets import COST_DATA
from finops.notify import CollectionFailureNotifier
from finops.providers import provider as provider_spec


def collection_params() -> dict[str, Param]:
    """The params every collection DAG accepts (a manual run's form)."""
    return {
        "team_ids": Param([], type="array", items={"type": "string"},
                          description="Teams to collect; empty means every active team of this provider."),
        "lookback_days": Param(None, type=["null", "integer"], minimum=0, maximum=90,
                               description="Earlier days to re-collect; empty means the finops_lookback_days variable."),
        "start_date": Param(None, type=["null", "string"], format="date",
                            description="Load a range: first day (UTC, inclusive). Needs end_date."),
        "end_date": Param(None, type=["null", "string"], format="date",
                          description="Load a range: last day (UTC, inclusive)."),
        "allow_drops": Param(False, type="boolean",
                             description="Accept settled days whose total dropped beyond finops_max_settled_drop."),
    }


def costs_daily_dag(provider: str, *, doc_md: str):
    """Build the daily cost collection DAG ``<provider>_costs_daily`` (call it at a DAG file's top level)."""
    spec = provider_spec(provider)
    name = spec.name

    @dag(
        dag_id=f"{name}_costs_daily",
        schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=4,
        doc_md=doc_md,
        tags=["finops", name, "costs"],
        default_args={
            "owner": "finops",
            "retries": 2,
            "retry_delay": timedelta(minutes=1),
            "retry_exponential_backoff": True,
            "max_retry_delay": timedelta(minutes=15),
        },
        on_failure_callback=CollectionFailureNotifier(provider=name),
        params=collection_params(),
        render_template_as_native_obj=False,
    )
    def costs_daily():
        @task
        def list_active_teams(params: dict) -> list[str]:
            """The provider's active teams to collect (all, or the `team_ids` param); ids only cross XCom."""
            from finops.tasks import list_active_teams_task

            return list_active_teams_task(params.get("team_ids") or [], name)

        @task(multiple_outputs=True)
        def plan_window(params: dict, data_interval_start=None, data_interval_end=None) -> dict:
            """The UTC days this run collects: its data interval plus the look-back, or the params' range."""
            from finops.tasks import plan_window_task

            run_after = getattr(get_current_context().get("dag_run"), "run_after", None)
            return plan_window_task(params, data_interval_start, data_interval_end, run_after)

        @task
        def batch_teams(team_ids: list[str]) -> list[list[str]]:
            """One team per mapped instance up to 20 teams, batches beyond (`finops_teams_per_task`)."""
            from finops.tasks import batch_teams_task

            return batch_teams_task(team_ids)

        @task(pool=spec.pool, map_index_template="{{ team_label }}", retries=3)
        def collect_team(team_ids: list[str], window_start: str, window_end: str) -> list[dict]:
            """Decrypt each team's key, fetch its costs, replace its window; returns counts only."""
            from finops.collection import batch_label
            from finops.tasks import collect_teams_task, run_facts

            context = get_current_context()
            context["team_label"] = batch_label(team_ids)
            steps: dict = {}
            try:
                return collect_teams_task(team_ids, window_start, window_end, context["run_id"], run_facts(context),
                                          provider=name, task_timings=steps)
            finally:
                if steps:  # seconds per step and requests per endpoint kind: numbers only (docs/performance.md)
                    context["ti"].xcom_push(key="timings", value=steps)

        @task(trigger_rule="all_done")
        def check_data_quality(team_ids: list[str], window_start: str, window_end: str) -> dict:
            """Great Expectations on this provider's rows and completeness for the teams this run collected."""
            from finops.alerts.runs import gate
            from finops.tasks import data_quality_task, quality_scope_task, run_facts

            context = get_current_context()
            with gate(context["ti"]):
                scope = quality_scope_task(name, team_ids, context["run_id"])
                return data_quality_task(scope, window_start, window_end, context["run_id"], run_facts(context),
                                         provider=name)

        @task(trigger_rule="all_done")
        def check_success_rate(team_ids: list[str], window_start: str, window_end: str) -> dict:
            """Successful teams / teams in the run; published as metrics; fails below the threshold."""
            from finops.alerts.runs import gate
            from finops.tasks import success_rate_task

            context = get_current_context()
            with gate(context["ti"]):
                return success_rate_task(team_ids, window_start, window_end, context["run_id"], provider=name)

        @task(outlets=[COST_DATA])
        def publish_costs(window_start: str, window_end: str) -> dict:
            """After the gates pass: the `finops.cost_data` Asset event (provider, window, teams, rows, total)."""
            from finops.tasks import publish_costs_task

            context = get_current_context()
            return publish_costs_task(name, window_start, window_end, context["run_id"], context["outlet_events"])

        @task(trigger_rule="all_done")
        def alert_teams(team_ids: list[str], window_start: str, window_end: str) -> dict:
            """Each failed team alerts once per failure streak, its first success after one sends a recovery."""
            from finops.tasks import team_alerts_task

            return team_alerts_task(name, team_ids, window_start, window_end, get_current_context()["run_id"])

        @task(trigger_rule="all_done")
        def watch_gates() -> None:
            """Once every gate is done: when one failed, records why (every failed gate, teams, expectations)
            and fails the run; otherwise skipped. (`one_failed` would start at the first failed gate.)"""
            from finops.tasks import watch_gates_task

            context = get_current_context()
            watch_gates_task(name, context["dag"].dag_id, context["run_id"], context["ti"])

        teams = list_active_teams()
        window = plan_window()
        collected = collect_team.partial(window_start=window["window_start"], window_end=window["window_end"]).expand(
            team_ids=batch_teams(teams)
        )
        quality = check_data_quality(teams, window["window_start"], window["window_end"])
        rate = check_success_rate(teams, window["window_start"], window["window_end"])
        collected >> quality >> rate
        [quality, rate] >> publish_costs(window["window_start"], window["window_end"])
        collected >> alert_teams(teams, window["window_start"], window["window_end"])
        [quality, rate] >> watch_gates()

    return costs_daily()

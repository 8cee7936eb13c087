"""
### OpenAI costs, daily

Collects every active team's OpenAI costs (Costs API, grouped by project and line item) into
`finops.cost_data`, proves the window complete with Great Expectations, and checks the share of
teams collected against `finops_success_rate_threshold`.

**Window.** A scheduled or backfill run covers its data interval, one UTC day, plus
`finops_lookback_days` earlier days (costs settle late). A manual run may load a range with the
`start_date`/`end_date` params (inclusive) and restrict the teams with `team_ids`.

**Tasks.** `list_active_teams` and `plan_window` -> `collect_team` (one mapped instance per team, labelled with the team id,
in the `openai_api` pool) -> `check_data_quality` -> `check_success_rate`
-> `publish_costs` (updates the Asset `finops.cost_data`, which alerts and exports schedule on).
`alert_teams` alerts each failed team once per failure streak (and its recovery); `watch_gates`
runs only when a gate failed, records why and fails the run.

**Run state = the truth.** The run fails when data quality fails, the success rate is below
`finops_success_rate_threshold`, or any gate task fails; failed team instances alone (rate above
the threshold) leave it successful, and their teams are alerted. Every failed run is notified with
its reason. A day not collected `finops_collection_deadline_hours` (default 6) after it closed
alerts as late (DAG `finops_collection_deadline`). See docs/monitoring.md.

Reruns replace the team's rows in the window in one transaction: running a day twice leaves the
same rows as running it once.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task

from finops.assets import COST_DATA
from finops.notify import CollectionFailureNotifier

PROVIDER = "openai"


@dag(
    dag_id="openai_costs_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    doc_md=__doc__,
    tags=["finops", "openai", "costs"],
    default_args={
        "owner": "finops",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
    },
    on_failure_callback=CollectionFailureNotifier(provider=PROVIDER),
    params={
        "team_ids": Param([], type="array", items={"type": "string"},
                          description="Teams to collect; empty means every active team."),
        "lookback_days": Param(None, type=["null", "integer"], minimum=0, maximum=90,
                               description="Earlier days to re-collect; empty means the finops_lookback_days variable."),
        "start_date": Param(None, type=["null", "string"], format="date",
                            description="Load a range: first day (UTC, inclusive). Needs end_date."),
        "end_date": Param(None, type=["null", "string"], format="date",
                          description="Load a range: last day (UTC, inclusive)."),
        "allow_drops": Param(False, type="boolean",
                             description="Accept settled days whose total dropped beyond finops_max_settled_drop."),
    },
    render_template_as_native_obj=False,
)
def openai_costs_daily():
    @task
    def list_active_teams(params: dict) -> list[str]:
        """The active teams to collect (all, or the `team_ids` param); ids only cross XCom."""
        from finops.tasks import list_active_teams_task

        return list_active_teams_task(params.get("team_ids") or [])

    @task(multiple_outputs=True)
    def plan_window(params: dict, data_interval_start=None, data_interval_end=None) -> dict:
        """The UTC days this run collects: its data interval plus the look-back, or the params' range."""
        from finops.tasks import plan_window_task

        run_after = getattr(get_current_context().get("dag_run"), "run_after", None)
        return plan_window_task(params, data_interval_start, data_interval_end, run_after)

    @task
    def batch_teams(team_ids: list[str]) -> list[list[str]]:
        """One team per mapped instance up to 20 teams, batches beyond (`finops_teams_per_task`: auto or a number)."""
        from finops.tasks import batch_teams_task

        return batch_teams_task(team_ids)

    @task(pool="openai_api", map_index_template="{{ team_label }}", retries=3)
    def collect_team(team_ids: list[str], window_start: str, window_end: str) -> list[dict]:
        """Decrypt each team's key, fetch its costs, replace its window; returns counts only."""
        from finops.collection import batch_label
        from finops.tasks import collect_teams_task, run_facts

        context = get_current_context()
        context["team_label"] = batch_label(team_ids)
        return collect_teams_task(team_ids, window_start, window_end, context["run_id"], run_facts(context))

    @task(trigger_rule="all_done")
    def check_data_quality(team_ids: list[str], window_start: str, window_end: str) -> dict:
        """Great Expectations on the rows and completeness of the teams this run collected; fails on any failure."""
        from finops.alerts.runs import gate
        from finops.tasks import data_quality_task, quality_scope_task, run_facts

        context = get_current_context()
        with gate(context["ti"]):
            scope = quality_scope_task(PROVIDER, team_ids, context["run_id"])
            return data_quality_task(scope, window_start, window_end, context["run_id"], run_facts(context))

    @task(trigger_rule="all_done")
    def check_success_rate(team_ids: list[str], window_start: str, window_end: str) -> dict:
        """Successful teams / teams in the run; published as metrics; fails below the threshold."""
        from finops.alerts.runs import gate
        from finops.tasks import success_rate_task

        context = get_current_context()
        with gate(context["ti"]):
            return success_rate_task(team_ids, window_start, window_end, context["run_id"])

    @task(outlets=[COST_DATA])
    def publish_costs(window_start: str, window_end: str) -> dict:
        """After the gates pass: the `finops.cost_data` Asset event (provider, window, teams, rows, total)."""
        from finops.tasks import publish_costs_task

        context = get_current_context()
        return publish_costs_task(PROVIDER, window_start, window_end, context["run_id"], context["outlet_events"])

    @task(trigger_rule="all_done")
    def alert_teams(team_ids: list[str], window_start: str, window_end: str) -> dict:
        """Each failed team alerts once per failure streak, its first success after one sends a recovery."""
        from finops.tasks import team_alerts_task

        return team_alerts_task(PROVIDER, team_ids, window_start, window_end, get_current_context()["run_id"])

    @task(trigger_rule="one_failed")
    def watch_gates() -> None:
        """Runs only when a gate failed: records why (gates, teams, expectations) and fails the run."""
        from finops.tasks import watch_gates_task

        context = get_current_context()
        watch_gates_task(PROVIDER, context["dag"].dag_id, context["run_id"], context["ti"])

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


openai_costs_daily()

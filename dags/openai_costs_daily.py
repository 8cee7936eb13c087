"""
### OpenAI costs, daily

Collects every active team's OpenAI costs (Costs API, grouped by project and line item) into
`finops.cost_data`, proves the window complete with Great Expectations, and checks the share of
teams collected against `finops_success_rate_threshold`.

**Window.** A scheduled or backfill run covers its data interval, one UTC day, plus
`finops_lookback_days` earlier days (costs settle late). A manual run may load a range with the
`start_date`/`end_date` params (inclusive) and restrict the teams with `team_ids`.

**Tasks** (built by `finops.pipeline_dag`, like `anthropic_costs_daily`). `list_active_teams` and
`plan_window` -> `collect_team` (one mapped instance per team, labelled with the team id,
in the `openai_api` pool, on the connection `openai_api`) -> `check_data_quality` -> `check_success_rate`
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

from airflow.sdk import DAG

from finops.pipeline_dag import costs_daily_dag

dag: DAG = costs_daily_dag("openai", doc_md=__doc__)

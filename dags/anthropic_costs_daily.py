"""
### Anthropic costs, daily

Collects every active team's Anthropic costs (the organization cost report, grouped by workspace
and description; amounts in cents converted to exact dollars) into `finops.cost_data` with
`provider = 'anthropic'`, proves the window complete with Great Expectations, and checks the share
of teams collected against `finops_success_rate_threshold`.

**Teams.** Active teams with an Anthropic Admin key or workspace registered
(`finops keys register TEAM --provider anthropic`, `finops projects add TEAM wrkspc_... --provider anthropic`,
or `default` for the default workspace).

**Workspaces.** The cost report cannot be filtered by workspace: the run keeps the team's registered
workspaces and records what every other workspace cost (table `finops.collection_run_skipped`, and a
warning in the task log naming the command that registers it).

**Window.** Same rule as `openai_costs_daily`: the data interval's UTC day plus
`finops_lookback_days` earlier days; a manual run may load a range with `start_date`/`end_date`
(inclusive) and restrict the teams with `team_ids`.

**Tasks** (built by `finops.pipeline_dag`, like `openai_costs_daily`). `list_active_teams` and
`plan_window` -> `collect_team` (mapped per team, in the `anthropic_api` pool, on the connection
`anthropic_api`) -> `check_data_quality` -> `check_success_rate` -> `publish_costs` (the Asset
`finops.cost_data`, extra `provider = anthropic`). `alert_teams` and `watch_gates` alert and record
failures as for OpenAI (docs/monitoring.md).

Loads never touch OpenAI rows; reruns replace the team's Anthropic rows in the window in one transaction.
"""

from __future__ import annotations

from airflow.sdk import DAG

from finops.pipeline_dag import costs_daily_dag

dag: DAG = costs_daily_dag("anthropic", doc_md=__doc__)

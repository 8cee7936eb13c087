"""Defaults of the Airflow variables the product reads: one definition for tasks, the CLI, the page and checks."""

from __future__ import annotations

from decimal import Decimal

#: ``finops_lookback_days``: earlier days re-collected every run, since costs settle late.
LOOKBACK_DAYS_VARIABLE = "finops_lookback_days"
DEFAULT_LOOKBACK_DAYS = 2

#: ``finops_success_rate_threshold``: lowest share of active teams collected for a run to pass.
SUCCESS_RATE_THRESHOLD_VARIABLE = "finops_success_rate_threshold"
DEFAULT_SUCCESS_RATE_THRESHOLD = Decimal("0.95")

#: ``finops_kms_key_id``: the KMS key (id, ARN or alias) that encrypts new Admin keys.
KMS_KEY_VARIABLE = "finops_kms_key_id"
DEFAULT_KMS_KEY_ID = "alias/finops-admin-keys"

#: ``finops_max_settled_drop``: the share of a settled day's total a reload may lose (0 to 1).
MAX_SETTLED_DROP_VARIABLE = "finops_max_settled_drop"
DEFAULT_MAX_SETTLED_DROP = Decimal("0.5")

#: ``finops_teams_per_task``: teams per mapped ``collect_team`` instance, or ``auto``.
TEAMS_PER_TASK_VARIABLE = "finops_teams_per_task"
DEFAULT_TEAMS_PER_TASK = "auto"

#: ``finops_threads_per_task``: teams a ``collect_team`` instance collects side by side.
THREADS_PER_TASK_VARIABLE = "finops_threads_per_task"
DEFAULT_THREADS_PER_TASK = 4

#: ``finops_team_requests_in_flight``: a team's usage and key-list requests in flight at once (1: one after the
#: other). Concurrent calls to a provider are at most pool slots x threads per task x this.
TEAM_REQUESTS_IN_FLIGHT_VARIABLE = "finops_team_requests_in_flight"
DEFAULT_TEAM_REQUESTS_IN_FLIGHT = 1
MAX_TEAM_REQUESTS_IN_FLIGHT = 8

#: Every variable with a default, as ``finops validate-setup`` and the settings files show them.
VARIABLE_DEFAULTS: dict[str, str] = {
    KMS_KEY_VARIABLE: DEFAULT_KMS_KEY_ID,
    SUCCESS_RATE_THRESHOLD_VARIABLE: str(DEFAULT_SUCCESS_RATE_THRESHOLD),
    LOOKBACK_DAYS_VARIABLE: str(DEFAULT_LOOKBACK_DAYS),
    TEAM_REQUESTS_IN_FLIGHT_VARIABLE: str(DEFAULT_TEAM_REQUESTS_IN_FLIGHT),
}

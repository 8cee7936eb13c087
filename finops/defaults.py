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

#: Every variable with a default, as ``finops validate-setup`` and the settings files show them.
VARIABLE_DEFAULTS: dict[str, str] = {
    KMS_KEY_VARIABLE: DEFAULT_KMS_KEY_ID,
    SUCCESS_RATE_THRESHOLD_VARIABLE: str(DEFAULT_SUCCESS_RATE_THRESHOLD),
    LOOKBACK_DAYS_VARIABLE: str(DEFAULT_LOOKBACK_DAYS),
}

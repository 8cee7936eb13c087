"""Spend per API key, daily and monthly (spend_key_daily, spend_key_monthly), filled from cost_data.

Merge note: chained after 0018 on this branch; after 0019_usage_model_daily once that lands (down_revision).

Revision ID: 0020_spend_key_daily
Revises: 0018_api_keys
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0020_spend_key_daily"
down_revision = "0018_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0020_spend_key_daily.up")


def downgrade() -> None:
    run_sql_file("0020_spend_key_daily.down")

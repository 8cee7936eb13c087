"""Spend per API key, daily and monthly (spend_key_daily, spend_key_monthly), filled from cost_data.

Chained after 0019_usage_model_daily (on the keyroll branch, before that landed, after 0018_api_keys).

Revision ID: 0020_spend_key_daily
Revises: 0019_usage_model_daily
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0020_spend_key_daily"
down_revision = "0019_usage_model_daily"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from alembic import op

    from finops import paths

    run_sql_file("0020_spend_key_daily.up")
    op.execute(paths.sql("attribution/rollup_rebuild"))  # the fill: the statements every rebuild runs


def downgrade() -> None:
    run_sql_file("0020_spend_key_daily.down")

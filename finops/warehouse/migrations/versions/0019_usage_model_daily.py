"""The usage panels' rollup: finops.usage_model_daily (cost, tokens and requests per team, day, model and token kind),
filled from the rows already collected, and the view it is computed from (finops.usage_model_source).

Revision ID: 0019_usage_model_daily
Revises: 0018_api_keys
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0019_usage_model_daily"
down_revision = "0018_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0019_usage_model_daily.up")


def downgrade() -> None:
    run_sql_file("0019_usage_model_daily.down")

"""usage_data loses the index the natural key already gives (provider, team_id, usage_date).

Revision ID: 0024_usage_drop_team_day_index
Revises: 0023_usage_source_by_line_item
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0024_usage_drop_team_day_index"
down_revision = "0023_usage_source_by_line_item"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0024_usage_drop_team_day_index.up")


def downgrade() -> None:
    run_sql_file("0024_usage_drop_team_day_index.down")

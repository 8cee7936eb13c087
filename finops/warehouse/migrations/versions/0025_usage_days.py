"""usage_days: which usage each team's day holds, as last loaded, so a day that comes back unchanged is not rewritten.

Revision ID: 0025_usage_days
Revises: 0024_usage_drop_team_day_index
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0025_usage_days"
down_revision = "0024_usage_drop_team_day_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0025_usage_days.up")


def downgrade() -> None:
    run_sql_file("0025_usage_days.down")

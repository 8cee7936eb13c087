"""spend_daily as a view of cost_data and line_items: loads no longer write a copy of their rows.

Revision ID: 0013_spend_daily_view
Revises: 0012_project_monthly
Create Date: 2026-11-30
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0013_spend_daily_view"
down_revision = "0012_project_monthly"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0013_spend_daily_view.up")


def downgrade() -> None:
    run_sql_file("0013_spend_daily_view.down")

"""usage_model_source sums the cost rows per team, day and line item before joining line_items.

Revision ID: 0023_usage_source_by_line_item
Revises: 0022_fact_rows_checked_per_run
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0023_usage_source_by_line_item"
down_revision = "0022_fact_rows_checked_per_run"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0023_usage_source_by_line_item.up")


def downgrade() -> None:
    run_sql_file("0023_usage_source_by_line_item.down")

"""cost_data and usage_data without row-level foreign keys: a load's rows are checked through its run.

Revision ID: 0022_fact_rows_checked_per_run
Revises: 0021_usage_model_mtd
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0022_fact_rows_checked_per_run"
down_revision = "0021_usage_model_mtd"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0022_fact_rows_checked_per_run.up")


def downgrade() -> None:
    run_sql_file("0022_fact_rows_checked_per_run.down")

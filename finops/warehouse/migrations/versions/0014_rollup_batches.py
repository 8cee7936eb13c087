"""Rollup changes applied in batches after the loads: a successful load's run stays pending until its change is applied.

Revision ID: 0014_rollup_batches
Revises: 0013_spend_daily_view
Create Date: 2026-11-30
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0014_rollup_batches"
down_revision = "0013_spend_daily_view"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0014_rollup_batches.up")


def downgrade() -> None:
    run_sql_file("0014_rollup_batches.down")

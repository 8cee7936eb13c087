"""Index for data-quality checks: successful collection runs by window range.

Revision ID: 0002_quality_indexes
Revises: 0001_initial
Create Date: 2026-11-25
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0002_quality_indexes"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0002_quality_indexes.up")


def downgrade() -> None:
    run_sql_file("0002_quality_indexes.down")

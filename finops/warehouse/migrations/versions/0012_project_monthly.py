"""Monthly project rollup: the overview's teams and projects read one row a month instead of one a day.

Revision ID: 0012_project_monthly
Revises: 0010_alert_mutes
Create Date: 2026-11-30
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0012_project_monthly"
down_revision = "0010_alert_mutes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0012_project_monthly.up")


def downgrade() -> None:
    run_sql_file("0012_project_monthly.down")

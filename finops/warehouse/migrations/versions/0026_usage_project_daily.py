"""usage_project_daily: usage_data summed per team, day, project and model, kept by triggers; the usage
reconciliation and the usage rollup's source read it instead of the usage rows.

Revision ID: 0026_usage_project_daily
Revises: 0025_usage_days
Create Date: 2026-12-07
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0026_usage_project_daily"
down_revision = "0025_usage_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from alembic import op

    from finops.analytics.rollups import rebuild_usage_sums

    run_sql_file("0026_usage_project_daily.up")
    rebuild_usage_sums(op.get_bind().connection.driver_connection)  # the usage rows already loaded, summed


def downgrade() -> None:
    run_sql_file("0023_usage_source_by_line_item.up")  # the view reads usage_data again before the table goes
    run_sql_file("0026_usage_project_daily.down")

"""Month-to-date sums of the usage panels' rollup (usage_model_mtd), filled from usage_model_daily.

Revision ID: 0021_usage_model_mtd
Revises: 0020_spend_key_daily
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0021_usage_model_mtd"
down_revision = "0020_spend_key_daily"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from alembic import op

    from finops.analytics.rollups import rebuild_usage_mtd

    run_sql_file("0021_usage_model_mtd.up")
    rebuild_usage_mtd(op.get_bind().connection.driver_connection)  # the migration's own transaction


def downgrade() -> None:
    run_sql_file("0021_usage_model_mtd.down")

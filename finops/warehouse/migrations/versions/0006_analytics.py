"""Analytics: line item dimensions, daily spend rollups (filled from the existing cost rows), restatements.

Revision ID: 0006_analytics
Revises: 0005_cost_details
Create Date: 2026-12-01
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0006_analytics"
down_revision = "0005_cost_details"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from alembic import op

    from finops.analytics.rollups import rebuild

    run_sql_file("0006_analytics.up")
    # The rollups start equal to the rows already collected (the parser runs in Python, hence not in SQL).
    rebuild(op.get_bind().connection.driver_connection)


def downgrade() -> None:
    run_sql_file("0006_analytics.down")

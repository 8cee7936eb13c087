"""Alert mutes: a team's anomaly (or other) alerts are recorded but not delivered until a day.

Revision ID: 0010_alert_mutes
Revises: 0008_budgets
Create Date: 2026-12-01
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0010_alert_mutes"
down_revision = "0008_budgets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0010_alert_mutes.up")


def downgrade() -> None:
    run_sql_file("0010_alert_mutes.down")

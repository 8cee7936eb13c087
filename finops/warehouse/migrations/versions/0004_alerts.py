"""Alerts: the alerts table (fire once, deliver until delivered) and each team's collection streak.

Revision ID: 0004_alerts
Revises: 0003_providers
Create Date: 2026-11-30
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0004_alerts"
down_revision = "0003_providers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0004_alerts.up")


def downgrade() -> None:
    run_sql_file("0004_alerts.down")

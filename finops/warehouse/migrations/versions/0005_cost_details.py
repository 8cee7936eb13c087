"""Cost details: Anthropic's structured fields on cost_data, and amounts skipped for unregistered scopes.

Revision ID: 0005_cost_details
Revises: 0004_alerts
Create Date: 2026-11-30
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0005_cost_details"
down_revision = "0004_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0005_cost_details.up")


def downgrade() -> None:
    run_sql_file("0005_cost_details.down")

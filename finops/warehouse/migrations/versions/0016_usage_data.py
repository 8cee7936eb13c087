"""Token usage collected with the costs: ``finops.usage_data``.

Revision ID: 0016_usage_data
Revises: 0015_anomaly_judgements
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0016_usage_data"
down_revision = "0015_anomaly_judgements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0016_usage_data.up")


def downgrade() -> None:
    run_sql_file("0016_usage_data.down")

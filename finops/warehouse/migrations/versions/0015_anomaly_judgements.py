"""Anomaly judgements: which settled days of each spend series have been judged, so each is judged once.

Revision ID: 0015_anomaly_judgements
Revises: 0014_rollup_batches
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0015_anomaly_judgements"
down_revision = "0014_rollup_batches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0015_anomaly_judgements.up")


def downgrade() -> None:
    run_sql_file("0015_anomaly_judgements.down")

"""Budgets: an amount per UTC calendar month per team (optionally one provider or project), with history.

Revision ID: 0008_budgets
Revises: 0006_analytics
Create Date: 2026-12-01
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0008_budgets"
down_revision = "0006_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0008_budgets.up")


def downgrade() -> None:
    run_sql_file("0008_budgets.down")

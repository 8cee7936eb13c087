"""Initial schema: teams, projects, admin keys, audit log, collection runs, cost data.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0001_initial.up")


def downgrade() -> None:
    run_sql_file("0001_initial.down")

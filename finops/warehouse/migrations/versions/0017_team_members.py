"""Showback: team members, team channels, issued statements and their lines, digest and statement deliveries.

Revision ID: 0017_team_members
Revises: 0016_usage_data
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0017_team_members"
down_revision = "0016_usage_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0017_team_members.up")


def downgrade() -> None:
    run_sql_file("0017_team_members.down")

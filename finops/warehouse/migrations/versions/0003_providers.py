"""Providers: provider columns and keys on costs, runs, projects, keys, audit and success rates.

Revision ID: 0003_providers
Revises: 0002_quality_indexes
Create Date: 2026-11-30
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0003_providers"
down_revision = "0002_quality_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0003_providers.up")


def downgrade() -> None:
    run_sql_file("0003_providers.down")

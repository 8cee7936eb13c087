"""Attribution by API key: finops.api_keys (with history), cost_data.api_key_id and allocated, a new natural key.

Revision ID: 0018_api_keys
Revises: 0017_team_members
Create Date: 2026-12-06
"""

from __future__ import annotations

from finops.warehouse.migrate import run_sql_file

revision = "0018_api_keys"
down_revision = "0017_team_members"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("0018_api_keys.up")


def downgrade() -> None:
    run_sql_file("0018_api_keys.down")

"""Migration 0005 (cost details, skipped amounts) on a populated warehouse: nothing lost, a guarded downgrade."""

from __future__ import annotations

import psycopg
import pytest
from test_migrations import scratch_db  # noqa: F401 - the fixture

from finops.warehouse import migrate

REVISION = "0005_cost_details"


def previous_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config()).get_revision(REVISION).down_revision


def snapshot(conn) -> list[tuple]:
    return conn.execute(
        "SELECT provider, team_id, usage_date, project_id, line_item, currency, amount::text, quantity::text, "
        "quantity_unit, organization_id FROM finops.cost_data ORDER BY 1, 2, 3, 4, 5, 6").fetchall()


def test_upgrade_keeps_every_row_and_the_downgrade_refuses_to_drop_details(scratch_db):  # noqa: F811
    migrate.upgrade(previous_revision())
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('a', 'A', 't')")
        for n in range(50):
            conn.execute(
                "INSERT INTO finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, quantity, "
                "quantity_unit, collected_at) VALUES ('a', DATE '2025-01-01' + %s, 'proj_x', %s, 'usd', %s, %s, "
                "'tokens', now())", (n % 10, f"item {n}", f"0.{n:02d}13080438340307526", n * 1000))
        before, total = snapshot(conn), conn.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0]

    migrate.upgrade(REVISION)
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        assert snapshot(conn) == before
        assert conn.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0] == total
        assert conn.execute("SELECT count(*) FROM finops.cost_data WHERE model IS NOT NULL").fetchone()[0] == 0
        conn.execute(
            "INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, "
            "model, token_type, cost_type, service_tier, context_window, inference_geo, collected_at) VALUES "
            "('anthropic', 'a', '2025-01-01', 'default', 'Claude Sonnet 4 Usage - Input Tokens', 'usd', 1.2378912, "
            "'claude-sonnet-4-20250514', 'uncached_input_tokens', 'tokens', 'standard', '0-200k', 'global', now())")
        run_id = conn.execute(
            "INSERT INTO finops.collection_runs (provider, team_id, window_start, window_end, status, started_at) "
            "VALUES ('anthropic', 'a', '2025-01-01', '2025-01-02', 'success', now()) RETURNING run_id").fetchone()[0]
        conn.execute("INSERT INTO finops.collection_run_skipped VALUES (%s, 'wrkspc_other', 'usd', 3, 0.5)", (run_id,))

    with pytest.raises(Exception, match="holds Anthropic cost details .* run the downgrade again"):
        migrate.downgrade(previous_revision())
    assert migrate.current() == REVISION  # nothing was dropped

    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("DELETE FROM finops.cost_data WHERE provider = 'anthropic'")
        conn.execute("TRUNCATE finops.collection_run_skipped")
    migrate.downgrade(previous_revision())
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        assert snapshot(conn) == before
    migrate.upgrade("head")

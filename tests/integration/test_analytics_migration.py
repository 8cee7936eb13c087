"""Migration 0006 on a warehouse that already holds costs: the rollups start equal to the rows collected."""

from __future__ import annotations

import json

import psycopg
import pytest

from finops.warehouse import migrate


@pytest.fixture
def scratch_db(pg_cluster, monkeypatch):
    name = "finops_analytics_migration_scratch"
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_DB", json.dumps({
        "conn_type": "postgres", "host": pg_cluster.host, "port": pg_cluster.port, "schema": name,
        "login": pg_cluster.user, "password": pg_cluster.password}))
    return pg_cluster.url(name)


def costs_at_0003(url: str, rows: list[tuple[str, str, str, str]]) -> None:
    """The schema at 0003_providers with team ``a`` and its cost rows (day, project, line item, amount in usd)."""
    migrate.upgrade("0003_providers")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('a', 'A', 't')")
        for day, project, item, amount in rows:
            conn.execute("INSERT INTO finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, "
                         "collected_at) VALUES ('a', %s, %s, %s, 'usd', %s, now())", (day, project, item, amount))


def test_upgrade_fills_the_rollups_from_existing_costs_and_downgrade_removes_them(scratch_db):
    costs_at_0003(scratch_db, [("2026-01-01", "proj_x", "gpt-4o-2024-08-06, input", "1.5"),
                               ("2026-01-01", "proj_x", "gpt-4o-2024-08-06, output", "0.25"),
                               ("2026-01-01", "unassigned", "Vector storage", "0.000001"),
                               ("2026-01-02", "proj_x", "brand new thing", "3")])
    migrate.upgrade("0006_analytics")
    with psycopg.connect(scratch_db) as conn:
        assert conn.execute("SELECT count(*) FROM finops.line_items").fetchone()[0] == 4
        by_model = conn.execute("SELECT model, sum(amount)::text FROM finops.spend_model_daily GROUP BY 1 "
                                "ORDER BY 1 NULLS LAST").fetchall()
        assert by_model == [("gpt-4o-2024-08-06", "1.75"), (None, "3.000001")]
        assert conn.execute("SELECT sum(amount)::text FROM finops.spend_project_daily "
                            "WHERE project_id = 'unassigned'").fetchone()[0] == "0.000001"
    migrate.downgrade("0003_providers")
    with psycopg.connect(scratch_db) as conn:
        left = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'finops'")}
        assert not left & {"line_items", "spend_daily", "spend_project_daily", "spend_model_daily", "restatements"}
        assert conn.execute("SELECT count(*) FROM finops.cost_data").fetchone()[0] == 4


SPEND_DAILY_GROUPED = (
    "SELECT provider, team_id, usage_date, project_id, model, model_family, token_kind, tier, cost_kind, currency, "
    "sum(amount), sum(rows) FROM finops.spend_daily GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ORDER BY 1, 2, 3, 4, 5")
COST_DATA_GROUPED = (
    "SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier, "
    "d.cost_kind, c.currency, sum(c.amount), count(*) FROM finops.cost_data c "
    "JOIN finops.line_items d USING (provider, line_item) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ORDER BY 1, 2, 3, 4, 5")


def test_spend_daily_becomes_a_view_and_back_a_table_equal_to_cost_data(scratch_db):
    costs_at_0003(scratch_db, [("2026-01-01", "proj_x", "gpt-4o-2024-08-06, input", "1.5"),
                               ("2026-01-01", "proj_y", "gpt-4o-2024-08-06, input", "2"),
                               ("2026-01-01", "proj_x", "gpt-4o-2024-08-06, output", "0.25"),
                               ("2026-01-02", "unassigned", "brand new thing", "3")])
    migrate.upgrade("head")

    def kind_and_rows(conn):
        kind = conn.execute("SELECT relkind FROM pg_class WHERE oid = 'finops.spend_daily'::regclass").fetchone()[0]
        return kind, conn.execute(SPEND_DAILY_GROUPED).fetchall()

    with psycopg.connect(scratch_db) as conn:
        expected = conn.execute(COST_DATA_GROUPED).fetchall()
        assert len(expected) == 4
        assert kind_and_rows(conn) == ("v", expected)
        assert conn.execute("SELECT sum(amount)::text, sum(rows) FROM finops.spend_project_daily").fetchone() == (
            "6.75", 4)
    migrate.downgrade("0012_project_monthly")
    with psycopg.connect(scratch_db) as conn:
        assert kind_and_rows(conn) == ("r", expected)  # a table again, filled from cost_data
        assert conn.execute("SELECT count(*) FROM finops.spend_daily").fetchone()[0] == 4
    migrate.upgrade("head")
    with psycopg.connect(scratch_db) as conn:
        assert kind_and_rows(conn) == ("v", expected)

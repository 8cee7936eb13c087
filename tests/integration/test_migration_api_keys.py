"""Migration 0018_api_keys: per-key rows share a (day, project, line item) and fold back exactly on downgrade."""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg
import pytest

from finops.warehouse import migrate


@pytest.fixture
def scratch_db(pg_cluster, monkeypatch):
    name = "finops_migration_api_keys"
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_DB", json.dumps({
        "conn_type": "postgres", "host": pg_cluster.host, "port": pg_cluster.port, "schema": name,
        "login": pg_cluster.user, "password": pg_cluster.password}))
    return pg_cluster.url(name)


INSERT = ("INSERT INTO finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, quantity, "
          "collected_at, api_key_id) VALUES ('a', '2026-01-01', 'proj_x', 'gpt-4o, input', 'usd', %s, %s, now(), %s)")


def test_natural_key_holds_the_key_and_downgrade_folds_per_key_rows(scratch_db):
    migrate.upgrade("head")
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('a', 'A', 't')")
        conn.execute(INSERT, ("0.1000000000000001", 10, "key_a"))
        conn.execute(INSERT, ("0.2", 20, "key_b"))
        conn.execute(INSERT, ("0.3", 30, None))
        with pytest.raises(psycopg.errors.UniqueViolation):  # NULL keys are equal in the natural key
            conn.execute(INSERT, ("0.3", 30, None))
    migrate.downgrade("0017_team_members")
    with psycopg.connect(scratch_db) as conn:
        rows = conn.execute("SELECT amount, quantity FROM finops.cost_data").fetchall()
        assert rows == [(Decimal("0.6000000000000001"), Decimal(60))]
        assert conn.execute("SELECT to_regclass('finops.api_keys')").fetchone()[0] is None
    migrate.upgrade("head")

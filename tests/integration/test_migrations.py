"""The warehouse schema under Alembic on the real PostgreSQL: round trip and the constraints."""

from __future__ import annotations

import psycopg
import pytest

from finops.warehouse import migrate

TABLES = {"teams", "projects", "admin_keys", "audit_log", "collection_runs", "collection_run_days", "cost_data",
          "success_rates"}


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'finops'")}


@pytest.fixture
def scratch_db(pg_cluster, monkeypatch):
    """An empty database of its own, so the round trip never touches the shared test database."""
    import json

    name = "finops_migrations_scratch"
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_DB", json.dumps({
        "conn_type": "postgres", "host": pg_cluster.host, "port": pg_cluster.port, "schema": name,
        "login": pg_cluster.user, "password": pg_cluster.password}))
    return pg_cluster.url(name)


def test_upgrade_downgrade_upgrade_round_trip(scratch_db):
    assert migrate.current() is None
    migrate.upgrade("head")
    assert migrate.current() == migrate.head()
    assert TABLES <= tables(scratch_db)
    migrate.downgrade("base")
    assert migrate.current() is None
    assert tables(scratch_db) == {"alembic_version"}  # Alembic's own bookkeeping, empty
    migrate.upgrade("head")
    assert TABLES <= tables(scratch_db)


def test_constraints_do_the_integrity_work(scratch_db):
    migrate.upgrade("head")
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('a', 'A', 't')")
        row = ("a", "2026-01-01", "proj_x", "gpt-4o, input", "usd", "1.5", "2026-01-02T00:00:00Z")
        insert_cost = ("INSERT INTO finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, "
                       "collected_at) VALUES (%s, %s, %s, %s, %s, %s, %s)")
        conn.execute(insert_cost, row)
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(insert_cost, row)
        # Cost rows are checked through their load's run (0022): a run of a team that does not exist is refused.
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("INSERT INTO finops.collection_runs (provider, team_id, window_start, window_end, status, "
                         "started_at) VALUES ('openai', 'ghost', '2026-01-01', '2026-01-02', 'success', now())")
        key = ("INSERT INTO finops.admin_keys (team_id, ciphertext, kms_key_id, redacted, fingerprint, status, "
               "created_by) VALUES ('a', %s, 'k', 'r', 'f', %s, 't')")
        conn.execute(key, (b"x", "active"))
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(key, (b"y", "active"))
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(key, (b"z", "revoked"))  # a revoked key keeps no ciphertext
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(key, (None, "bogus"))
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('Bad Id', 'x', 't')")
        assert conn.execute("SELECT pg_typeof(amount)::text FROM finops.cost_data").fetchone() == ("numeric",)


def test_anomaly_judgements_round_trip_and_one_judgement_per_series_day(scratch_db):
    migrate.upgrade("0014_rollup_batches")
    assert "anomaly_judgements" not in tables(scratch_db)
    migrate.upgrade("0015_anomaly_judgements")
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('a', 'A', 't')")
        judged = ("INSERT INTO finops.anomaly_judgements (team_id, provider, scope, currency, day, outcome, value, "
                  "as_of) VALUES ('a', %s, %s, 'usd', '2026-11-20', %s, 600, '2026-12-05')")
        conn.execute(judged, ("", "team", "spike"))
        conn.execute(judged, ("openai", "model:gpt-4o", "normal"))
        conn.execute(judged, ("", "api_key:key_abc", "normal"))  # a later scope fits the same shape
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(judged, ("", "team", "normal"))  # a series' day is judged once
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(judged, ("", "team-wide", "normal"))
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(judged, ("openai", "model:o1", "maybe"))
    migrate.downgrade("0014_rollup_batches")
    assert "anomaly_judgements" not in tables(scratch_db)
    migrate.upgrade("head")
    assert "anomaly_judgements" in tables(scratch_db)

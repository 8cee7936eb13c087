"""Shared fixtures: real services started for the test run (PostgreSQL, moto's KMS, the simulator).

Tests in ``tests/unit`` need none; ``tests/integration`` talk to the services over the network;
``tests/e2e`` run Airflow or a browser. Each directory is marked so a tier can run alone
(``pytest -m unit``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Parallel test sessions (several developers on one machine) each set their own database.
TEST_DB = os.environ.get("FINOPS_TEST_DB", "finops_test")

pytest_plugins = ["simulator_fixtures"]

os.environ.setdefault("FINOPS_PROJECT_DIR", str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


def pytest_collection_modifyitems(items):
    for item in items:
        tier = Path(item.fspath).relative_to(ROOT / "tests").parts[0]
        if tier in ("unit", "integration", "e2e"):
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def pg_cluster():
    """The embedded PostgreSQL of this checkout (``make test`` starts it; started here otherwise)."""
    from finops.devenv import local

    cluster = local.cluster()
    started = cluster.start()
    yield cluster
    if started:
        cluster.stop()


def _conn_json(cluster, dbname: str) -> str:
    return json.dumps({
        "conn_type": "postgres", "host": cluster.host, "port": cluster.port, "schema": dbname,
        "login": cluster.user, "password": cluster.password,
    })


@pytest.fixture(scope="session")
def warehouse(pg_cluster):
    """A fresh ``finops_test`` database migrated to head; ``finops_db`` points at it."""
    import psycopg

    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEST_DB}"')
    os.environ["AIRFLOW_CONN_FINOPS_DB"] = _conn_json(pg_cluster, TEST_DB)
    # Airflow sets up its logging when first imported, on the stderr of that moment. The warehouse's
    # connection no longer imports it (finops.lookup reads AIRFLOW_CONN_FINOPS_DB itself), so import it
    # here, outside any test's capsys: imported inside one, its handlers would write to a closed capture.
    import airflow.sdk  # noqa: F401

    from finops.warehouse import migrate

    migrate.upgrade("head")
    yield pg_cluster.url(TEST_DB)


@pytest.fixture
def db(warehouse):
    """An autocommit connection to an emptied warehouse."""
    import psycopg

    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE finops.alerts, finops.collection_streaks, finops.success_rates, finops.cost_data, finops.usage_data, finops.collection_run_days, finops.collection_runs, finops.audit_log, "
            "finops.admin_keys, finops.projects, finops.teams, "
            # The rollups have no foreign key to cascade from: emptied with the cost rows they sum.
            "finops.spend_project_daily, finops.spend_model_daily, finops.spend_project_monthly, finops.rollup_pending, "
            "finops.spend_key_daily, finops.spend_key_monthly "
            "RESTART IDENTITY CASCADE"
        )
        yield conn


@pytest.fixture(scope="session")
def kms_endpoint():
    """moto's KMS over HTTP on a free port, with the project's key alias; ``aws_kms`` points at it."""
    from moto.server import ThreadedMotoServer

    from finops.devenv.kms import ensure_key

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AIRFLOW_CONN_AWS_KMS"] = json.dumps({
        "conn_type": "aws", "login": "testing", "password": "testing",
        "extra": {"region_name": "us-east-1", "endpoint_url": endpoint},
    })
    os.environ["AIRFLOW_VAR_FINOPS_KMS_KEY_ID"] = "alias/finops-admin-keys"
    ensure_key(endpoint, "alias/finops-admin-keys")
    yield endpoint
    server.stop()


@pytest.fixture
def webhook(monkeypatch):
    """A webhook receiver on localhost (tests/alert_receivers.py), set as the ``finops_alerts`` connection."""
    from alert_receivers import WebhookReceiver

    receiver = WebhookReceiver().start()
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_ALERTS", json.dumps({"conn_type": "http", "host": receiver.url}))
    yield receiver
    receiver.stop()

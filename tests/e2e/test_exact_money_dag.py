"""``openai_costs_daily`` with a team-day that needs 31 significant digits: ``airflow dags test`` against the
simulator over HTTP, the real PostgreSQL and moto's KMS. The run is green (the quality gate's reconciliation
passes on the correct data) and the Asset event's ``amount_total`` is ``sum(amount)`` to the last digit."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest
from exact_money_fixtures import DAY, register_exact_team, serve_exact_organizations
from test_dag_e2e import ROLLUPS, dags_test, run_state

RUN_DAY = date(2026, 10, 4)  # the scheduler's run: Oct 3 plus 1 look-back day


@pytest.fixture(scope="module")
def exact_simulator():
    yield from serve_exact_organizations()


@pytest.mark.timeout(900)  # one `airflow dags test` run, beside other sessions
def test_a_31_digit_team_day_runs_green_and_the_asset_event_carries_the_exact_total(db, kms_endpoint,
                                                                                   exact_simulator):
    db.execute(f"TRUNCATE {ROLLUPS}")  # derived from cost_data, which the fixture emptied
    register_exact_team("exact", exact_simulator)
    result = dags_test(RUN_DAY, env={"AIRFLOW_CONN_OPENAI_API": exact_simulator.connection})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    window = [RUN_DAY - timedelta(days=2), RUN_DAY - timedelta(days=1)]
    by_day = dict(db.execute("SELECT usage_date, sum(amount) FROM finops.cost_data GROUP BY 1").fetchall())
    assert by_day == dict.fromkeys(window, DAY["openai"])
    total = db.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0]
    assert total == Decimal("2469135.780000069999999999999992")
    assert db.execute("SELECT amount_total FROM finops.collection_runs").fetchall() == [(total,)]
    state, tasks = run_state(db)
    assert state == "success" and tasks["publish_costs"] == "success", tasks

    run_id = db.execute("SELECT dag_run_id FROM finops.success_rates").fetchone()[0]
    metadata = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg2", "postgresql")
    with psycopg.connect(metadata) as meta:
        (extra,) = meta.execute("SELECT extra FROM asset_event WHERE source_dag_id = 'openai_costs_daily' "
                                "AND source_run_id = %s", (run_id,)).fetchone()
    assert Decimal(extra["amount_total"]) == total and extra["teams"] == ["exact"]

"""``finops_spend_alerts`` end to end with ``airflow dags test``: real PostgreSQL, a webhook receiver on localhost.

A run without a triggering event evaluates the current and the previous UTC month of its data
interval for every team; the receiver gets exactly the expected messages once, and a rerun sends nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from finops.alerts import budgets

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
AS_OF = date(2026, 12, 14)
SPIKE = date(2026, 12, 11)


@pytest.fixture
def spend(db):
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('growth', 'growth', 't')")
    rows, day = [], date(2026, 10, 1)
    while day < AS_OF:
        rows.append((day, Decimal("200") if day == SPIKE else Decimal("10")))
        day += timedelta(days=1)
    with db.cursor() as cur:
        cur.executemany(
            "INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, "
            "collected_at) VALUES ('openai', 'growth', %s, 'proj_a', 'gpt-4o-2024-08-06, input', 'usd', %s, %s)",
            [(d, a, datetime(2026, 12, 14, tzinfo=UTC)) for d, a in rows])
    budgets.set_budget("growth", "400", "test", today=AS_OF)
    return db


def dags_test(day: date = AS_OF) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({"AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    argv = [str(BIN / "airflow"), "dags", "test", "finops_spend_alerts", day.isoformat()]
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False,
                          timeout=int(os.environ.get("FINOPS_DAGS_TEST_TIMEOUT", "240")))


@pytest.mark.timeout(900)  # two `airflow dags test` runs
def test_a_manual_run_alerts_once_and_a_rerun_sends_nothing(spend, webhook):
    result = dags_test()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    kinds = sorted((b["kind"], b["scope"], b["period"]) for b in webhook.received)
    assert kinds == [("budget_forecast", "team", "2026-12"), ("budget_threshold", "team", "2026-12"),
                     ("spend_anomaly", "model:gpt-4o-2024-08-06", "2026-12-11"),
                     ("spend_anomaly", "team", "2026-12-11")]
    threshold = next(b for b in webhook.received if b["kind"] == "budget_threshold")
    assert "the 50 % and 80 % thresholds are crossed" in threshold["text"] and threshold["value"] == "320"
    assert spend.execute("SELECT count(*), count(delivered_at) FROM finops.alerts").fetchone() == (5, 5)

    again = dags_test()
    assert again.returncode == 0, again.stdout[-3000:]
    assert len(webhook.received) == 4
    assert spend.execute("SELECT count(*) FROM finops.alerts").fetchone()[0] == 5


@pytest.mark.timeout(900)  # two `airflow dags test` runs
def test_a_spike_loaded_by_a_range_run_is_sent_once_by_a_manual_run(db, webhook):
    """Issue 23's case: October and November loaded at once, a 6x spike on Nov 20, then a manual run on Dec 5."""
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('beta', 'beta', 't')")
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(61)]
    with db.cursor() as cur:
        cur.executemany(
            "INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, "
            "collected_at) VALUES ('openai', 'beta', %s, 'proj_a', 'gpt-4o-2024-08-06, input', 'usd', %s, now())",
            [(d, Decimal(600) if d == date(2026, 11, 20) else Decimal(100)) for d in days])
    result = dags_test(date(2026, 12, 5))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # One alert per series of the day (the team's, and its one model's), nothing for any other day.
    assert sorted((b["kind"], b["scope"], b["period"]) for b in webhook.received) == [
        ("spend_anomaly", "model:gpt-4o-2024-08-06", "2026-11-20"), ("spend_anomaly", "team", "2026-11-20")]
    assert "6.0x its typical day" in next(b for b in webhook.received if b["scope"] == "team")["text"]
    assert db.execute("SELECT count(*) FROM finops.anomaly_judgements").fetchone()[0] == 2 * 61

    again = dags_test(date(2026, 12, 5))
    assert again.returncode == 0, again.stdout[-3000:]
    assert len(webhook.received) == 2
    assert db.execute("SELECT count(*) FROM finops.alerts").fetchone()[0] == 2

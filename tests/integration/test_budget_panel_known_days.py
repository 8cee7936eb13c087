"""The overview's budget panel counts only the days collected: days after the last collection are projected at the
run rate, never shown as 0.00 spent, and the budget never runs out on a day before the last one known."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from finops.alerts import budgets as store
from finops.cli import main

pytestmark = pytest.mark.usefixtures("viewer_reads_every_team")

os.environ.setdefault("AIRFLOW__CORE__AUTH_MANAGER",
                      "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
os.environ.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")

TODAY = date(2026, 12, 8)
LAST_COLLECTED = date(2026, 12, 3)  # the collections reached Dec 3; Dec 4..7 are not collected yet


def test_days_not_collected_are_projected_not_zero(db, finops_app, tokens):
    from fastapi.testclient import TestClient

    assert main(["teams", "add", "growth"]) == 0
    day, rows = date(2026, 11, 1), []
    while day <= LAST_COLLECTED:
        rows.append(("growth", day, Decimal("100.00")))
        day += timedelta(days=1)
    with db.cursor() as cur:
        cur.executemany("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                        "amount, collected_at) VALUES ('openai', %s, %s, 'unassigned', 'gpt-4o-2024-08-06, input', "
                        "'usd', %s, now())", rows)
    db.execute("INSERT INTO finops.collection_runs (team_id, window_start, window_end, status, started_at, "
               "finished_at) VALUES ('growth', '2026-11-01', %s, 'success', now(), now())",
               (LAST_COLLECTED + timedelta(days=1),))
    store.set_budget("growth", "1000", "test", today=TODAY)
    actual = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE usage_date >= '2026-12-01'").fetchone()[0]
    assert actual == Decimal("300.00")

    client = TestClient(finops_app, follow_redirects=False)
    client.cookies.set("_token", tokens["viewer"])
    page = client.get("/finops/overview/teams/growth").text
    row = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', re.search(r"<tr (data-team=\"growth\"[^>]*)>", page)[1]))
    assert Decimal(row["actual"]) == actual
    # 100 a day collected; the 28 days from Dec 4 on (4 not collected, 24 to come) at the same 100 a day.
    assert Decimal(row["projected"]) == actual + 28 * Decimal(100)
    # Dec 1..3 spent 300; at 100 a day from Dec 4 the budget of 1,000 runs out on Dec 10, not earlier.
    assert row["runs-out"] == "2026-12-10"
    assert f"collected through {LAST_COLLECTED}" in page

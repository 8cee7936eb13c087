"""Showback end to end: ``airflow dags test`` of ``finops_team_statements`` and ``finops_team_digests`` against the
real PostgreSQL and a webhook receiver on localhost (the team's own channel); the statement rendered in Chromium,
screenshotted into artifacts/ and checked to print on A4 without cut columns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "artifacts"
RUN_DAY = "2026-12-07"  # a Monday: November is settled, the digest covers 2026-11-28 .. 2026-12-04


@pytest.fixture
def showback(db, tmp_path, monkeypatch):
    from alert_receivers import WebhookReceiver

    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('growth', 'Growth', 't'), "
               "('quiet', 'Quiet', 't')")
    rows, day = [], date(2026, 11, 1)
    while day < date(2026, 12, 7):
        for project, line_item, amount in (
                ("proj_" + "growthWebStorefront2026ab", "gpt-4o-2024-08-06, input", Decimal(f"{day.day}.1000000000000000055")),
                ("proj_" + "growthSearchRanking2026cd", "o3-2025-04-16, output", Decimal("0.35"))):
            rows.append((day, project, line_item, amount))
        day += timedelta(days=1)
    with db.cursor() as cur:
        cur.executemany("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                        "amount, collected_at) VALUES ('openai', 'growth', %s, %s, %s, 'usd', %s, now())", rows)
    db.execute("INSERT INTO finops.collection_runs (provider, team_id, window_start, window_end, status, started_at) "
               "VALUES ('openai', 'growth', '2026-10-25', '2026-12-07', 'success', now())")
    from finops.alerts.budgets import set_budget

    set_budget("growth", "300", "test", today=date(2026, 11, 3))
    receiver = WebhookReceiver().start()
    monkeypatch.setenv("AIRFLOW_CONN_GROWTH_HOOK", json.dumps({"conn_type": "http", "host": receiver.url}))
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_STATEMENTS_DEST", str(tmp_path / "statements"))
    from finops.showback.channels import set_channels

    set_channels("growth", "test", webhook_conn="growth_hook")
    yield db, receiver, tmp_path / "statements"
    receiver.stop()


def dags_test(dag_id: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({"AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    argv = [str(BIN / "airflow"), "dags", "test", dag_id, RUN_DAY]
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False,
                          timeout=int(os.environ.get("FINOPS_DAGS_TEST_TIMEOUT", "240")))


@pytest.mark.timeout(900)  # three `airflow dags test` runs
def test_statements_and_digests_dags_deliver_once_and_the_statement_prints_on_a4(showback, browser):
    db, receiver, dest = showback
    result = dags_test("finops_team_statements")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert [b["kind"] for b in receiver.received] == ["team_statement"]
    statement = receiver.received[0]
    total = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = 'growth' "
                       "AND usage_date >= '2026-11-01' AND usage_date < '2026-12-01'").fetchone()[0]
    assert Decimal(statement["totals"]["usd"]) == total and statement["month"] == "2026-11"
    html_path = Path(statement["html"])
    assert html_path.parent == dest / "team=growth" / "month=2026-11" and html_path.exists()

    result = dags_test("finops_team_digests")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert [b["kind"] for b in receiver.received] == ["team_statement", "team_digest"]
    digest = receiver.received[1]
    assert digest["period"] == "2026-W50" and digest["team_id"] == "growth"
    week = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = 'growth' "
                      "AND usage_date >= '2026-11-28' AND usage_date < '2026-12-05'").fetchone()[0]
    assert Decimal(digest["current"]["usd"]) == week

    again = dags_test("finops_team_digests")
    assert again.returncode == 0, again.stdout[-3000:]
    assert len(receiver.received) == 2  # a rerun sends nothing new
    assert db.execute("SELECT count(*), count(delivered_at) FROM finops.team_deliveries").fetchone() == (2, 2)

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    try:
        page.goto(html_path.as_uri())
        assert page.locator("table.lines tbody tr").count() == 2 * 30
        page.screenshot(path=str(ARTIFACTS / "showback-statement.png"), full_page=True)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 703, "height": 1000})  # A4 (210 mm) less 2 x 12 mm margins at 96 dpi
        cut = page.evaluate("""() => {
            const cut = [];
            for (const table of document.querySelectorAll('table')) {
                const box = table.parentElement.getBoundingClientRect();
                for (const cell of table.querySelectorAll('th, td')) {
                    const r = cell.getBoundingClientRect();
                    if (r.right > box.right + 0.5 || cell.scrollWidth > cell.clientWidth + 1) cut.push(cell.textContent);
                }
            }
            if (document.documentElement.scrollWidth > document.documentElement.clientWidth) cut.push('page overflows');
            return cut;
        }""")
        assert cut == []
        page.pdf(path=str(ARTIFACTS / "showback-statement.pdf"), format="A4", print_background=True)
    finally:
        page.close()
    assert (ARTIFACTS / "showback-statement.png").stat().st_size > 10_000

"""Money is exact whatever its digits: amounts whose sums need more than 28 significant digits (Python's
default decimal context) go through the simulator over HTTP, the loader, the quality gate, the Asset event,
reports, the overview, budgets and the FOCUS export on the real PostgreSQL, and every total equals
``sum(amount)`` in SQL to the last digit."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from exact_money_fixtures import (
    ANTHROPIC_ORG,
    DAY,
    KEPT,
    PROJECT,
    SKIPPED,
    register_exact_team,
    serve_exact_organizations,
)

from finops.money import exact_sum
from finops.warehouse.loader import Window

START, END = date(2026, 10, 1), date(2026, 10, 4)
WINDOW = Window(START, END)
TODAY = date(2026, 11, 30)
TOTAL = {"openai": Decimal("3703703.670000104999999999999988"),
         "anthropic": Decimal("3703703.670000037037036703703701")}
BOTH = Decimal("7407407.340000142037036703703689")  # rounded to 28 digits: 7407407.340000142037036703705
ROLLUPS_TRUNCATE = "TRUNCATE finops.line_items, finops.spend_project_daily, finops.spend_project_monthly, " \
                   "finops.spend_model_daily"


@pytest.fixture(scope="module")
def exact_simulator():
    yield from serve_exact_organizations()


@pytest.fixture
def team(db, kms_endpoint, exact_simulator, monkeypatch):
    """Team ``exact`` on the exact organizations (exact_money_fixtures), the connections pointed at them."""
    monkeypatch.setenv("AIRFLOW_CONN_OPENAI_API", exact_simulator.connection)
    monkeypatch.setenv("AIRFLOW_CONN_ANTHROPIC_API", exact_simulator.connection)
    db.execute(ROLLUPS_TRUNCATE)  # derived tables, not cascaded from teams
    register_exact_team("exact", exact_simulator)
    return "exact"


def sql_total(db, provider: str = "openai", *, by_day: bool = False):
    if by_day:
        return dict(db.execute("SELECT usage_date, sum(amount) FROM finops.cost_data WHERE provider = %s "
                               "GROUP BY 1 ORDER BY 1", (provider,)).fetchall())
    return db.execute("SELECT sum(amount) FROM finops.cost_data WHERE provider = %s", (provider,)).fetchone()[0]


def test_a_team_day_needing_31_digits_passes_the_quality_gate_and_is_recorded_exactly(team, db):
    from finops.quality import validate_window
    from finops.tasks import collect_teams_task, publish_costs_task

    results = collect_teams_task([team], START.isoformat(), END.isoformat(), "run-exact")
    assert sql_total(db) == TOTAL["openai"]  # PostgreSQL's numeric adds what the API sent, exactly
    assert sql_total(db, by_day=True) == {START + timedelta(days=d): DAY["openai"] for d in range(3)}
    # The reconciliation compares collection_run_days with sum(amount): equal, so the gate passes.
    report = validate_window(START, END, team_ids=[team], settle_days=0, today=TODAY, currencies=["usd"])
    assert report.success, report.summary()
    run_id, amount_total = db.execute("SELECT run_id, amount_total FROM finops.collection_runs").fetchone()
    assert amount_total == TOTAL["openai"]
    days = db.execute("SELECT usage_date, amount_total FROM finops.collection_run_days WHERE run_id = %s",
                      (run_id,)).fetchall()
    assert dict(days) == sql_total(db, by_day=True)
    assert Decimal(results[0]["amount_total"]) == TOTAL["openai"]  # the task's XCom

    # The Asset event's extra, as the publish task sets it.
    events = defaultdict(SimpleNamespace)
    extra = publish_costs_task("openai", START.isoformat(), END.isoformat(), "run-exact", events)
    assert Decimal(extra["amount_total"]) == TOTAL["openai"]
    assert next(iter(events.values())).extra == extra



def test_anthropic_skipped_workspaces_are_summed_exactly(team, db, exact_simulator, caplog):
    from finops.costs.anthropic import AnthropicClient, skipped_total
    from finops.tasks import collect_teams_task

    expected = requests.get(f"{exact_simulator.base_url}/_simulator/anthropic/expected", timeout=10, params={
        "org_id": ANTHROPIC_ORG, "start_date": START.isoformat(), "end_date": END.isoformat(),
        "workspace_ids[]": [KEPT]}).json()
    assert Decimal(expected["total"]) == Decimal(expected["skipped_total"]) == TOTAL["anthropic"]  # its own sums

    client = AnthropicClient()
    try:
        stream = client.costs(exact_simulator.keys["anthropic"], START, END, [KEPT])
        kept = exact_sum(row.amount for row in stream)
    finally:
        client.close()
    assert kept == TOTAL["anthropic"]
    assert skipped_total(stream) == TOTAL["anthropic"]
    assert [(s.scope_id, s.rows, s.amount) for s in stream.skipped_costs()] == [(SKIPPED, 6, TOTAL["anthropic"])]

    with caplog.at_level("WARNING", logger="finops.collection"):
        results = collect_teams_task([team], START.isoformat(), END.isoformat(), "run-exact", provider="anthropic")
    assert Decimal(results[0]["skipped_total"]) == TOTAL["anthropic"]
    assert Decimal(results[0]["amount_total"]) == sql_total(db, "anthropic") == TOTAL["anthropic"]
    recorded = db.execute("SELECT scope_id, amount_total FROM finops.collection_run_skipped").fetchall()
    assert recorded == [(SKIPPED, TOTAL["anthropic"])]
    assert f"skipped {TOTAL['anthropic']} usd in workspace {SKIPPED}" in caplog.text
    run_days = db.execute("SELECT usage_date, amount_total FROM finops.collection_run_days").fetchall()
    assert dict(run_days) == sql_total(db, "anthropic", by_day=True)


def test_reports_overview_and_team_page_totals_equal_sql(team, db):
    from finops.analytics.overview import build_overview
    from finops.analytics.report import build_report, month_period
    from finops.tasks import collect_teams_task
    from finops.warehouse.db import connect
    from finops.web.overview import spend_series

    collect_teams_task([team], START.isoformat(), END.isoformat(), "run-exact")
    collect_teams_task([team], START.isoformat(), END.isoformat(), "run-exact", provider="anthropic")
    both = db.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0]
    assert both == BOTH
    with connect() as conn:
        for columns in ((), ("team_id",), ("provider",), ("usage_date",), ("model",)):
            assert build_report(conn, month_period("2026-10"), columns).totals == {"usd": both}, columns
        data = build_overview(conn, month_period("2026-10"), today=TODAY, label="2026-10", month=True, group="team")
        by_provider = build_overview(conn, month_period("2026-10"), today=TODAY, label="2026-10", month=True,
                                     group="provider")
    assert data.total == both and exact_sum(data.daily_totals) == both
    assert {s.key: s.total for s in data.series} == {"exact": both}
    assert {s.key: s.total for s in by_provider.series} == TOTAL
    series = spend_series([team], END - timedelta(days=1), days=3)[team]
    assert [(s.provider, s.total) for s in series] == list(TOTAL.items())


def test_budgets_list_shows_the_exact_month_to_date(team, db, capsys, monkeypatch):
    """0.01 + 0.004999...9 (28 digits) + 9.99E-31: 0.0149999... is 0.01 to the cent; rounded to 28 digits
    first it becomes 0.015 and then 0.02."""
    from finops.cli import main

    monkeypatch.setattr("finops.cli.budgets._today", lambda: date(2026, 12, 15))
    amounts = [Decimal("0.01"), Decimal("0.004999999999999999999999999999"), Decimal("9.99E-31")]
    for day, amount in enumerate(amounts, start=1):
        db.execute("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                   "amount, collected_at) VALUES ('openai', %s, %s, %s, 'gpt-4o', 'usd', %s, now())",
                   (team, date(2026, 12, day), PROJECT, amount))
    assert db.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0] == \
        Decimal("0.014999999999999999999999999999999")
    assert main(["budgets", "set", team, "1"]) == 0
    capsys.readouterr()
    assert main(["budgets", "list"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(team))
    assert "0.01 usd" in line and "0.02 usd" not in line


def test_a_focus_month_needing_more_than_28_digits_exports_and_passes_the_check(team, db, tmp_path, capsys):
    from finops.cli import main
    from finops.export import export_month
    from finops.tasks import collect_teams_task

    collect_teams_task([team], START.isoformat(), END.isoformat(), "run-exact")
    collect_teams_task([team], START.isoformat(), END.isoformat(), "run-exact", provider="anthropic")
    for fmt in ("csv", "parquet"):
        folder = tmp_path / fmt
        results = export_month("2026-10", today=TODAY, dest=str(folder), fmt=fmt)
        assert [(r.provider, r.report.ok) for r in results] == [("anthropic", True), ("openai", True)]
        for result in results:
            assert result.report.totals == {("2026-10", result.provider, "USD"): TOTAL[result.provider]}
        meta = json.loads(next(folder.rglob("*openai.metadata.json")).read_text())
        assert meta["Dataset"]["BilledCostTotals"] == {"2026-10 openai USD": str(TOTAL["openai"])}
        capsys.readouterr()
        assert main(["export", "focus", "--check", str(folder)]) == 0, capsys.readouterr().out
        out = capsys.readouterr().out
        for provider, total in TOTAL.items():
            assert f"BilledCost 2026-10 {provider} USD: file {total} = cost_data {total}" in out
        assert out.strip().endswith(": PASSED.")


def test_the_loaders_totals_do_not_depend_on_the_callers_context(team, db):
    """A caller in a 6-digit context (a library, a notebook) still records the exact totals."""
    import decimal

    from finops.costs.models import CostRow
    from finops.warehouse.loader import replace_window

    rows = [CostRow(START, PROJECT, "a", "usd", Decimal("12345.67"), None, None, None),
            CostRow(START, PROJECT, "b", "usd", Decimal("3.5000000000000004E-8"), None, None, None)]
    day = Decimal("12345.670000035000000000000004")  # the case: 29 digits
    with decimal.localcontext(prec=6):
        result = replace_window(team, Window(START, START + timedelta(days=1)), iter(rows), dag_run_id="ctx",
                                started_at=datetime.now(UTC))
    assert result.amount_total == day == sql_total(db)
    assert db.execute("SELECT amount_total FROM finops.collection_run_days").fetchone()[0] == day


def test_test_costs_api_prints_each_workspace_and_the_skipped_ones_to_the_exact_cent(db, kms_endpoint, capsys,
                                                                                       monkeypatch):
    """1 + 0.4999...9 (28 digits) + 9.99E-29 cents a day: $0.0149999... is 0.01 to the cent; rounded to 28
    digits on the way it becomes 0.015, printed 0.02."""
    from exact_money_fixtures import KEPT, SKIPPED

    from finops.cli import main
    from finops.registry import Registry
    from finops.simulator.config import (
        AnthropicKey,
        AnthropicOrganization,
        SimulatorConfig,
        WorkspaceConfig,
        random_anthropic_key,
    )
    from finops.simulator.server import run_in_thread

    key = random_anthropic_key()
    base_url, stop = run_in_thread(SimulatorConfig(organizations=[], anthropic_organizations=[AnthropicOrganization(
        id="anth-cents", keys=[AnthropicKey(key=key)], default_workspace=False,
        workspaces=[WorkspaceConfig(id=KEPT, name="Kept"), WorkspaceConfig(id=SKIPPED, name="Skipped")],
        daily_amounts={"a": Decimal("1"), "b": Decimal("0.4999999999999999999999999999"), "c": Decimal("9.99E-29")},
    )]))
    try:
        monkeypatch.setenv("AIRFLOW_CONN_ANTHROPIC_API", json.dumps({"conn_type": "http", "host": base_url}))
        registry = Registry()
        registry.add_team("cents", "cli:test")
        registry.register_key("cents", key, "cli:test", verify=False, provider="anthropic")
        registry.add_project("cents", KEPT, "cli:test", verify=False, provider="anthropic")
        capsys.readouterr()
        assert main(["test-costs-api", "cents", "--provider", "anthropic", "--days", "1"]) == 0
    finally:
        stop()
    out = capsys.readouterr().out
    assert [line.split() for line in out.splitlines() if line.startswith((KEPT, "total"))] == [
        [KEPT, "0.01"], ["total", "0.01"]], out
    assert f"skipped: 0.01 usd in 3 results of workspace {SKIPPED}" in out

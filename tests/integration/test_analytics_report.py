"""``finops report`` and the report builder: exact totals equal to SQL over cost_data for every grouping,
both providers, unattributed and unparsed costs; CSV, JSON and table output; one-sentence errors."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from psycopg import sql

from finops.analytics.report import DIMENSIONS, Period, build_report, exact, month_period
from finops.analytics.rollups import refresh_rollups
from finops.cli import main
from finops.costs.models import CostRow
from finops.warehouse.db import connect
from finops.warehouse.loader import Window, replace_window

START = date(2026, 2, 26)  # the data crosses a month boundary
DAYS = 6
OPENAI_ITEMS = ("gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06, cached input", "batch | gpt-4o-mini-2024-07-18, output",
                "ft-gpt-4o-2024-08-06, output", "dall-e-3", "Vector storage", "mystery line item")
ANTHROPIC_ITEMS = ("Claude Sonnet 4 Usage - Input Tokens", "Claude Sonnet 4 Usage - Cache Read", "Web Search Usage")
RAW_COLUMNS = {"team_id": "c.team_id", "provider": "c.provider", "project_id": "c.project_id", "model": "d.model",
               "token_kind": "d.token_kind", "usage_date": "c.usage_date"}

ROLLUPS_TRUNCATE = ("TRUNCATE finops.line_items, finops.spend_project_daily, "
                    "finops.spend_project_monthly, "
                    "finops.spend_model_daily")


def amount(*parts) -> Decimal:
    """A deterministic amount with float-like noise, exact as numeric."""
    return Decimal(sum(hash(p) % 997 for p in map(str, parts)) + 1) / Decimal(7) ** 3 * Decimal("0.000123456789")


@pytest.fixture
def warehouse_with_costs(db):
    db.execute(ROLLUPS_TRUNCATE)  # derived tables, not cascaded from teams
    window = Window(START, START + timedelta(days=DAYS))
    for team in ("growth", "search"):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, team))
        rows = [CostRow(START + timedelta(days=d), project, item, "usd", amount(team, d, project, item),
                        Decimal(1), "tokens", "org")
                for d in range(DAYS) for project in (f"proj_{team}", "unassigned") for item in OPENAI_ITEMS]
        replace_window(team, window, iter(rows), dag_run_id="seed", started_at=datetime.now(UTC))
        with connect() as conn:
            refresh_rollups(conn, "openai", team, window.start, window.end)
    for d in range(DAYS):
        for item in ANTHROPIC_ITEMS:
            db.execute("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                       "amount, collected_at) VALUES ('anthropic', 'search', %s, %s, %s, 'usd', %s, now())",
                       (START + timedelta(days=d), "wrkspc_01Search" if d % 2 else "default", item,
                        amount("a", d, item)))
    with connect() as conn:
        refresh_rollups(conn, "anthropic", "search", window.start, window.end)
    return db


def raw_totals(db, period: Period, columns: tuple[str, ...], provider=None, team_id=None) -> list[tuple]:
    """The same question as plain SQL over cost_data (and the parsed line items for model and token kind)."""
    keys = sql.SQL(", ").join(sql.SQL(RAW_COLUMNS[c]) for c in columns)
    query = sql.SQL(
        "SELECT {keys}, c.currency, sum(c.amount) FROM finops.cost_data c "
        "LEFT JOIN finops.line_items d ON d.provider = c.provider AND d.line_item = c.line_item "
        "WHERE c.usage_date >= %(start)s AND c.usage_date < %(end)s "
        "AND (%(provider)s::text IS NULL OR c.provider = %(provider)s) "
        "AND (%(team)s::text IS NULL OR c.team_id = %(team)s) GROUP BY {keys}, c.currency"
    ).format(keys=keys)
    return sorted(db.execute(query, {"start": period.start, "end": period.end, "provider": provider,
                                     "team": team_id}).fetchall(), key=repr)


ALL_GROUPINGS = [combo for n in range(1, 7) for combo in itertools.combinations(DIMENSIONS.values(), n)]


def test_every_grouping_equals_sql_over_cost_data(warehouse_with_costs):
    db = warehouse_with_costs
    period = Period(START, START + timedelta(days=DAYS))
    grand_total = db.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0]
    with connect() as conn:
        for columns in ALL_GROUPINGS:
            for provider, team in ((None, None), ("anthropic", None), ("openai", "growth"), (None, "search")):
                report = build_report(conn, period, columns, provider=provider, team_id=team)
                got = sorted(((*r.values, r.currency, r.amount) for r in report.rows), key=repr)
                assert got == raw_totals(db, period, columns, provider, team), (columns, provider, team)
            assert report.totals if team else True
        assert build_report(conn, period, ("team_id",)).totals == {"usd": grand_total}
        unattributed = build_report(conn, period, ("project_id",), provider="openai")
        assert {r.values[0]: r.amount for r in unattributed.rows}["unassigned"] == db.execute(
            "SELECT sum(amount) FROM finops.cost_data WHERE project_id = 'unassigned'").fetchone()[0]


@pytest.mark.parametrize("start, end", [
    (date(2026, 2, 1), date(2026, 4, 1)),    # whole months: monthly rows only
    (date(2026, 2, 27), date(2026, 3, 2)),   # across the boundary, partial on both sides
    (date(2026, 2, 2), date(2026, 3, 31)),   # month rows minus the days outside
    (date(2026, 3, 2), date(2026, 3, 3)),    # one day: daily rows
    (date(2026, 1, 1), date(2026, 2, 26)),   # nothing inside, months with rows outside
    (date(2026, 2, 28), date(2026, 12, 1)),  # beyond the last day with data
])
def test_periods_read_through_the_monthly_rollup_equal_sql(warehouse_with_costs, start, end):
    from finops.analytics.report import monthly_plan

    db = warehouse_with_costs
    period = Period(start, end)
    with connect() as conn:
        for columns in (("team_id",), ("project_id",), ("team_id", "project_id"), ("provider", "project_id")):
            for provider, team in ((None, None), ("anthropic", None), ("openai", "growth"), (None, "search")):
                report = build_report(conn, period, columns, provider=provider, team_id=team)
                got = sorted(((*r.values, r.currency, r.amount) for r in report.rows), key=repr)
                assert got == raw_totals(db, period, columns, provider, team), (columns, provider, team)
                assert all(r.cost_rows > 0 for r in report.rows)
    assert monthly_plan(Period(date(2026, 2, 2), date(2026, 3, 31)), date(2026, 3, 3)) is not None


def test_a_month_takes_only_its_days(warehouse_with_costs):
    db = warehouse_with_costs
    march = month_period("2026-03")
    with connect() as conn:
        report = build_report(conn, march, ("usage_date",))
    assert {r.values[0] for r in report.rows} == {date(2026, 3, d) for d in range(1, 4)}
    assert report.totals["usd"] == db.execute(
        "SELECT sum(amount) FROM finops.cost_data WHERE usage_date >= '2026-03-01'").fetchone()[0]


@pytest.fixture
def run(capsys):
    def invoke(*args: str):
        code = main(["report", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_cli_csv_json_and_table(warehouse_with_costs, run):
    db = warehouse_with_costs
    march = month_period("2026-03")
    code, out, err = run("--month", "2026-03", "--by", "model,team", "--format", "csv")
    assert code == 0, err
    records = list(csv.DictReader(io.StringIO(out)))
    assert list(records[0]) == ["team_id", "model", "currency", "amount"]  # PRODUCT order, not the asked order
    want = raw_totals(db, march, ("team_id", "model"))
    assert sorted(((r["team_id"], r["model"] or None, r["currency"], Decimal(r["amount"])) for r in records),
                  key=repr) == want

    code, out, err = run("--from", "2026-02-26", "--to", "2026-03-03", "--by", "provider,token_kind,day",
                         "--provider", "anthropic", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert list(records[0]) == ["provider", "token_kind", "usage_date", "currency", "amount"]
    assert all(isinstance(r["amount"], str) for r in records)
    with exact():
        total = sum(Decimal(r["amount"]) for r in records)
    assert total == db.execute("SELECT sum(amount) FROM finops.cost_data WHERE provider = 'anthropic'").fetchone()[0]

    code, out, err = run("--month", "2026-03", "--team", "growth", "--by", "project")
    assert code == 0, err
    growth_march = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = 'growth' "
                       "AND usage_date >= '2026-03-01' AND usage_date < '2026-04-01'").fetchone()[0]
    assert Decimal(re.search(r"^total\s+usd\s+(\S+)$", out, re.MULTILINE)[1]) == growth_march
    assert "unassigned" in out and "Data last collected" in out
    assert out.splitlines()[0] == "Spend 2026-03-01..2026-03-31 (team growth), by project:"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--month", "2026-13"], 2, "is not in the form YYYY-MM"),
    (["--by", "team,colour"], 2, "colour is not one of them"),
    (["--from", "2026-03-05", "--to", "2026-03-01"], 2, "is before --from"),
    (["--from", "2026-03-05"], 2, "go together"),
    (["--team", "nobody"], 1, "Team nobody is not registered"),
])
def test_cli_errors_are_one_sentence(warehouse_with_costs, run, args, code, message):
    got, out, err = run(*args)
    assert got == code and message in err and err.count("\n") == 1 and out == ""


def test_cli_reparse_and_rebuild(warehouse_with_costs, run):
    code, out, _ = run("--reparse")
    assert code == 0 and "0 changed" in out
    code, out, _ = run("--rebuild-rollups")
    assert code == 0 and "recomputed" in out


def test_project_name_column_follows_project_id_in_csv_json_and_table(warehouse_with_costs, run):
    db = warehouse_with_costs
    db.execute("INSERT INTO finops.projects (team_id, provider, project_id, name, created_by) "
               "VALUES ('growth', 'openai', 'proj_growth', 'Growth web app', 'test'), "
               "('search', 'anthropic', 'wrkspc_01Search', 'Search workspace', 'test')")
    code, out, err = run("--month", "2026-03", "--by", "project", "--format", "csv")
    assert code == 0, err
    records = list(csv.DictReader(io.StringIO(out)))
    assert list(records[0]) == ["project_id", "project_name", "currency", "amount"]
    names = {r["project_id"]: r["project_name"] for r in records}
    assert names["proj_growth"] == "Growth web app" and names["wrkspc_01Search"] == "Search workspace"
    assert names["unassigned"] == "" and names["proj_search"] == ""
    want = raw_totals(db, month_period("2026-03"), ("project_id",))
    assert sorted(((r["project_id"], r["currency"], Decimal(r["amount"])) for r in records), key=repr) == want

    code, out, err = run("--month", "2026-03", "--by", "team,project", "--format", "json")
    assert code == 0, err
    assert list(json.loads(out)[0]) == ["team_id", "project_id", "project_name", "currency", "amount"]
    code, out, err = run("--month", "2026-03", "--team", "growth", "--by", "project")
    assert code == 0, err
    assert out.splitlines()[1].split() == ["project_id", "project_name", "currency", "amount"]
    assert re.search(r"^proj_growth\s+Growth web app\s+usd\s+\S+$", out, re.MULTILINE)

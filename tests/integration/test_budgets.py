"""``finops budgets`` and the budget store against the real PostgreSQL: history, audit, refusals, spend sums."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from finops.alerts import budgets as store
from finops.alerts.models import effective_budgets
from finops.alerts.spend import budget_series, load_daily_spend
from finops.cli import main

TODAY = date(2026, 12, 15)


@pytest.fixture
def cli(db, capsys, monkeypatch):
    """Run ``finops ARGS`` in-process on a fixed UTC day; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr("finops.cli.budgets._today", lambda: TODAY)

    def run(*args: str):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def teams(cli):
    for team in ("growth", "search"):
        assert cli("teams", "add", team)[0] == 0
    assert cli("projects", "add", "growth", "proj_growthWeb", "--no-verify")[0] == 0


def budget_rows(db) -> list[tuple]:
    return db.execute("SELECT team_id, provider, project_id, valid_from, amount, thresholds, cancelled_at IS NOT NULL "
                      "FROM finops.budgets ORDER BY budget_id").fetchall()


def budget_audit(db) -> list[tuple]:
    return db.execute("SELECT action, team_id, provider, detail FROM finops.audit_log "
                      "WHERE action LIKE 'budget.%' ORDER BY audit_id").fetchall()


def test_set_list_change_and_remove_keep_the_history_and_audit_it(cli, teams, db):
    code, out, err = cli("budgets", "set", "growth", "1000")
    assert code == 0, err
    assert "team growth: 1,000.00 usd a month from 2026-12 on, warnings at 50 %, 80 %, 100 %" in out
    assert cli("budgets", "set", "growth", "400", "--provider", "openai", "--thresholds", "90,75")[0] == 0
    assert cli("budgets", "set", "growth", "100.5", "--project", "proj_growthWeb", "--from", "2027-01")[0] == 0
    assert cli("budgets", "set", "growth", "1500", "--from", "2027-02")[0] == 0

    code, out, _ = cli("budgets", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 + 4
    assert lines[2].split()[:7] == ["growth", "all", "all", "2026-12", "1,000.00", "usd", "50,80,100"]
    assert "in force" in lines[2] and "scheduled" in lines[3] and "2027-02" in lines[3]
    assert "openai" in lines[4] and "75,90" in lines[4] and "in force" in lines[4]
    assert "proj_growthWeb" in lines[5] and "2027-01" in lines[5] and "scheduled" in lines[5]

    code, out, err = cli("budgets", "remove", "growth")
    assert code == 0, err
    assert "removed from 2026-12 on; 1 change(s) scheduled for later months are cancelled" in out
    rows = budget_rows(db)
    assert [(r[3], r[4], r[6]) for r in rows if r[1] is None and r[2] is None] == [
        (date(2026, 12, 1), Decimal(1000), False),
        (date(2027, 2, 1), Decimal(1500), True),     # cancelled, still there
        (date(2026, 12, 1), None, False),            # the removal
    ]
    code, out, _ = cli("budgets", "list")
    assert "1,000.00" not in out and "openai" in out
    code, out, _ = cli("budgets", "list", "--all")
    assert "cancelled" in out and "removed" in out and "replaced" in out  # 1000 replaced by the removal

    assert [(a, t, p) for a, t, p, _ in budget_audit(db)] == [
        ("budget.set", "growth", None), ("budget.set", "growth", "openai"), ("budget.set", "growth", "openai"),
        ("budget.set", "growth", None), ("budget.remove", "growth", None),
    ]
    assert budget_audit(db)[2][3] == "openai project proj_growthWeb: 100.5 usd a month, thresholds 50,80,100 % from 2027-01"


def test_a_change_applies_from_its_month_and_earlier_months_keep_theirs(cli, teams):
    assert cli("budgets", "set", "growth", "1000", "--from", "2026-11")[0] == 0
    assert cli("budgets", "set", "growth", "2000", "--from", "2026-12")[0] == 0  # made mid-December
    assert cli("budgets", "set", "growth", "2500", "--from", "2026-12")[0] == 0  # the later change of a month wins
    history = store.budgets()
    assert [b.amount for b in effective_budgets(history, date(2026, 11, 30))] == [Decimal(1000)]
    assert [b.amount for b in effective_budgets(history, date(2026, 12, 1))] == [Decimal(2500)]
    assert [b.amount for b in effective_budgets(history, date(2027, 6, 1))] == [Decimal(2500)]
    assert effective_budgets(history, date(2026, 10, 31)) == []


@pytest.mark.parametrize(("args", "exit_code", "fragment"), [
    (["set", "growth", "abc"], 2, "The budget amount 'abc' is not a number"),
    (["set", "growth", "1,000"], 2, "is not a number"),
    (["set", "growth", "-5"], 2, "is not positive"),
    (["set", "growth", "0"], 2, "is not positive"),
    (["set", "growth", "NaN"], 2, "is not positive"),
    (["set", "growth", "1e13"], 2, "is out of range"),
    (["set", "growth", "10.1234567"], 2, "is out of range"),
    (["set", "growth", "100", "--thresholds", "50,eighty"], 2, "are not whole percentages"),
    (["set", "growth", "100", "--thresholds", "0,50"], 2, "are out of range"),
    (["set", "growth", "100", "--thresholds", "50,1001"], 2, "are out of range"),
    (["set", "growth", "100", "--thresholds", "80,80"], 2, "repeat a value"),
    (["set", "growth", "100", "--from", "2026-13"], 2, "is not a month; give it as YYYY-MM"),
    (["set", "growth", "100", "--currency", "dollars"], 2, "is not a three-letter code"),
    (["set", "growth", "100", "--project", "proj_x", "--provider", "anthropic"], 2, "is not an anthropic project id"),
    (["set", "growth", "100", "--project", "bogus"], 2, "is not an OpenAI or Anthropic project id"),
    (["set", "growth", "100", "--provider", "azure"], 2, "invalid choice"),
    (["set", "Bad Team", "100"], 2, "A team id is 1 to 63"),
    (["set", "ghost", "100"], 1, "Team ghost does not exist; add it with `finops teams add ghost`."),
    (["set", "growth", "100", "--project", "proj_notRegistered"], 1, "is not registered for team growth on openai"),
    (["set", "gone", "100"], 1, "Team gone is deactivated"),
    (["remove", "growth"], 1, "There is no budget for team growth from 2026-12 on; see `finops budgets list`."),
    (["remove", "growth", "--provider", "openai"], 1, "no budget for team growth on openai from 2026-12"),
])
def test_bad_input_gets_one_sentence_the_right_exit_code_and_nothing_stored(cli, teams, db, args, exit_code, fragment):
    assert cli("teams", "add", "gone")[0] == 0 and cli("teams", "deactivate", "gone")[0] == 0
    code, out, err = cli("budgets", *args)
    assert code == exit_code
    assert fragment in err
    assert out == "" and len([line for line in err.splitlines() if line.startswith("error")]) == 1
    assert budget_rows(db) == [] and budget_audit(db) == []


def test_a_deactivated_teams_budget_can_still_be_removed(cli, teams):
    assert cli("budgets", "set", "search", "10")[0] == 0
    assert cli("teams", "deactivate", "search")[0] == 0
    code, out, err = cli("budgets", "remove", "search")
    assert code == 0, err


def add_costs(db, rows: list[tuple]) -> None:
    with db.cursor() as cur:
        cur.executemany(
            "INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, "
            "collected_at) VALUES (%s, %s, %s, %s, %s, 'usd', %s, %s)",
            [(*r, datetime(2026, 12, 15)) for r in rows],
        )


COSTS = [
    ("openai", "growth", date(2026, 12, 1), "proj_growthWeb", "gpt-4o-2024-08-06, input", Decimal("12.3456789012345")),
    ("openai", "growth", date(2026, 12, 1), "proj_growthWeb", "gpt-4o-2024-08-06, output", Decimal("0.0000000001")),
    ("openai", "growth", date(2026, 12, 14), "proj_growthApi", "batch | gpt-4o-mini-2024-07-18, output", Decimal("7.77")),
    ("openai", "growth", date(2026, 12, 14), "proj_growthApi", "web search tool calls", Decimal("1.01")),
    ("anthropic", "growth", date(2026, 12, 2), "default", "Claude Sonnet 4 Usage - Input Tokens", Decimal("3.333333")),
    ("openai", "growth", date(2026, 11, 30), "proj_growthWeb", "gpt-4o-2024-08-06, input", Decimal("999")),
    ("openai", "search", date(2026, 12, 3), "proj_searchA", "gpt-4o-2024-08-06, input", Decimal("5")),
]


def sql_total(db, provider: str | None = None, project_id: str | None = None) -> Decimal:
    return db.execute(
        "SELECT coalesce(sum(amount), 0) FROM finops.cost_data WHERE usage_date >= '2026-12-01' "
        "AND usage_date < '2027-01-01' AND team_id = 'growth' AND (%(provider)s::text IS NULL OR provider = %(provider)s) "
        "AND (%(project_id)s::text IS NULL OR project_id = %(project_id)s)", {"provider": provider, "project_id": project_id},
    ).fetchone()[0]


def test_month_to_date_per_budget_scope_equals_sql_to_the_last_digit(cli, teams, db):
    add_costs(db, COSTS)
    assert cli("budgets", "set", "growth", "100")[0] == 0
    assert cli("budgets", "set", "growth", "10", "--provider", "openai")[0] == 0
    assert cli("budgets", "set", "growth", "10", "--project", "proj_growthWeb")[0] == 0
    spend = load_daily_spend(date(2026, 12, 1), date(2027, 1, 1))
    by_model = load_daily_spend(date(2026, 12, 1), date(2027, 1, 1), by_model=True)
    for budget in effective_budgets(store.budgets(), TODAY):
        expected = sql_total(db, budget.provider, budget.project_id)
        assert sum(budget_series(spend, budget).values()) == expected
        assert sum(budget_series(by_model, budget).values()) == expected
    assert sql_total(db) == Decimal("24.4590119012345") + Decimal("0.0000000001")
    models = {(r.provider, r.model) for r in by_model if r.team_id == "growth"}
    assert models == {("openai", "gpt-4o-2024-08-06"), ("openai", "gpt-4o-mini-2024-07-18"), ("openai", None),
                      ("anthropic", "Claude Sonnet 4")}
    # The alerts DAG keeps projects apart only for teams with a project budget: the sums stay the same.
    for project_teams in (set(), {"growth"}):
        summed = load_daily_spend(date(2026, 12, 1), date(2027, 1, 1), by_model=True, project_teams=project_teams)
        assert {r.project_id is None for r in summed if r.team_id == "growth"} == {not project_teams}
        for budget in effective_budgets(store.budgets(), TODAY):
            if budget.project_id is None or project_teams:
                assert sum(budget_series(summed, budget).values()) == sql_total(db, budget.provider, budget.project_id)
        assert {(r.provider, r.model) for r in summed if r.team_id == "growth"} == models
    code, out, _ = cli("budgets", "list")
    team_line = next(line for line in out.splitlines() if line.startswith("growth") and " all  " in line
                     and "100.00" in line)
    assert "24.46 usd" in team_line and "24 %" in team_line

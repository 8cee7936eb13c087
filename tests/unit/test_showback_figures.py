"""Digest and statement computations from hand-built rows: windows, increases, changed lines, CSV, HTML."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from finops.alerts.models import Budget
from finops.showback import digest
from finops.showback.render import render_html
from finops.showback.statement import (
    Line,
    Statement,
    budget_vs_actual,
    changes_between,
    csv_bytes,
    message,
    read_csv_totals,
)

D = Decimal


def row(current, project, model, amount, currency="usd"):
    return digest.SpendRow(current, "openai", project, model, currency, D(amount))


def test_the_two_weeks_are_the_last_seven_settled_days_and_the_seven_before():
    # Monday 2026-12-14 (collected through Sunday) with a 2-day look-back: settled through Friday 12-11.
    assert digest.windows(date(2026, 12, 14), 2) == (date(2026, 11, 28), date(2026, 12, 5), date(2026, 12, 12))
    assert digest.iso_week(date(2026, 12, 14)) == "2026-W51"
    assert digest.iso_week(date(2026, 12, 20)) == "2026-W51"  # a rerun that week is the same digest


def test_compute_totals_increases_and_finality_exactly():
    rows = [row(False, "proj_a", "gpt-4o", "10.1"), row(True, "proj_a", "gpt-4o", "30.000000000000000000000000000001"),
            row(False, "proj_b", "o3", "5"), row(True, "proj_b", "o3", "4"), row(True, "proj_c", "gpt-4o", "1"),
            row(True, "proj_c", "gpt-4o", "2", "eur")]
    found = digest.compute("growth", date(2026, 12, 14), 2, rows, alerts=["spike"],
                           collected_days={date(2026, 11, 28) + timedelta(days=n) for n in range(13)},
                           link="/finops/overview/teams/growth")
    assert found.current == {"eur": D(2), "usd": D("35.000000000000000000000000000001")}
    assert found.previous == {"usd": D("15.1")}
    assert [(i.dimension, i.name, i.change) for i in found.increases] == [
        ("model", "gpt-4o", D("20.900000000000000000000000000001")),
        ("project", "proj_a", D("19.900000000000000000000000000001")),
        ("model", "gpt-4o", D(2)), ("project", "proj_c", D(2)), ("project", "proj_c", D(1))]
    assert found.missing_days == [date(2026, 12, 11)]
    text = found.message()
    assert "2026-12-05 to 2026-12-11" in text and "Alerts this week: 1: spike" in text
    assert "settled through 2026-12-11; 2 later day(s) are provisional" in text
    assert "1 day(s) of these weeks have no successful collection (2026-12-11)" in text
    assert found.details()["current"]["usd"] == "35.000000000000000000000000000001"
    assert found.has_spend


def test_no_rows_is_no_spend():
    assert not digest.compute("quiet", date(2026, 12, 14), 2, []).has_spend


def line(day, amount, project="proj_a", model="gpt-4o", kind="input", provider="openai", currency="usd"):
    return Line(provider, project, model, kind, date(2026, 11, day), currency, D(amount))


def statement(lines, version=1, changes=(), budgets=()):
    return Statement("growth", "Growth <team>", date(2026, 11, 1), version, list(lines),
                     datetime(2026, 12, 4, 7, tzinfo=UTC), list(budgets), list(changes))


def test_changed_lines_list_added_removed_and_changed_amounts():
    old = [line(1, "1.5"), line(2, "2"), line(3, "3")]
    new = [line(1, "1.5"), line(2, "2.25"), line(4, "4")]
    found = changes_between(old, new)
    assert [(c.key[4].day, c.old, c.new) for c in found] == [(2, D(2), D("2.25")), (3, D(3), None), (4, None, D(4))]
    assert [c.difference for c in found] == [D("0.25"), D(-3), D(4)]
    assert changes_between(old, list(old)) == []


def test_groups_daily_series_and_budget_against_actual_are_exact():
    lines = [line(1, "0.1"), line(1, "0.2", project="proj_b", model="o3"), line(30, "5", provider="anthropic",
                                                                             project="default", model="claude")]
    s = statement(lines)
    assert s.totals == {"usd": D("5.3")}
    assert s.grouped("provider") == [("anthropic", "usd", D(5)), ("openai", "usd", D("0.3"))]
    daily = s.daily()["usd"]
    assert len(daily) == 30 and daily[0] == (date(2026, 11, 1), D("0.3")) and daily[29][1] == D(5)
    budgets = [Budget(1, "growth", None, None, date(2026, 11, 1), D(10), "usd", (50,)),
               Budget(2, "growth", "openai", None, date(2026, 11, 1), D("0.2"), "usd", (100,)),
               Budget(3, "growth", None, "proj_b", date(2026, 11, 1), D(1), "usd", (100,))]
    found = budget_vs_actual(budgets, lines)
    assert [(b.scope, b.actual, b.share) for b in found] == [
        ("all providers", D("5.3"), D(53)), ("openai", D("0.3"), D(150)), ("project proj_b", D("0.2"), D(20))]


def test_csv_has_the_public_columns_and_reads_back_to_the_same_totals():
    s = statement([line(1, "3.5000000000000004E-8"), line(2, "12345.67")])
    data = csv_bytes(s)
    assert data.decode().splitlines() == ["provider,project,model,token_kind,day,amount,currency",
                                          "openai,proj_a,gpt-4o,input,2026-11-01,0.000000035000000000000004,usd",
                                          "openai,proj_a,gpt-4o,input,2026-11-02,12345.67,usd"]
    assert read_csv_totals(data) == s.totals == {"usd": D("12345.670000035000000000000004")}


def test_the_html_escapes_names_lists_each_line_and_says_when_it_is_amended():
    lines = [line(1, "1"), line(2, "2.5")]
    html = render_html(statement(lines), "statement-growth-2026-11-v1.csv")
    assert "Growth &lt;team&gt;" in html and "Growth <team>" not in html
    assert html.split('<table class="lines">')[1].count("<tr><td>openai</td>") == 2 and '<svg class="chart"' in html
    assert 'data-exact="3.5"' in html and "Amended" not in html and "@page { size: A4" in html
    changed = changes_between([line(2, "2")], [line(2, "2.5")])
    amended = statement(lines, version=2, changes=changed)
    html = render_html(amended, "statement-growth-2026-11-v2.csv")
    assert "Amended statement." in html and "replaces version 1" in html
    text = message(amended, "/d/x.html", "/d/x.csv", "/finops/overview/teams/growth")
    assert text.startswith("AMENDED statement for team growth, 2026-11, version 2: it replaces version 1 because 1 line")
    assert "changed: 2026-11-02 openai proj_a gpt-4o input: 2 -> 2.5 usd" in text


def test_run_day_is_the_logical_date_not_the_trigger_time_of_a_dated_manual_run():
    """Under the scheduler a run triggered with a logical date has the trigger time as its data interval."""
    from datetime import UTC, date, datetime
    from types import SimpleNamespace

    from finops.showback.tasks import run_day

    triggered = datetime(2026, 12, 6, 2, 15, tzinfo=UTC)
    context = {"logical_date": datetime(2026, 4, 7, tzinfo=UTC), "data_interval_end": triggered,
               "dag_run": SimpleNamespace(run_after=triggered)}
    assert run_day(context) == date(2026, 4, 7)
    assert run_day({"logical_date": None, "dag_run": SimpleNamespace(run_after=triggered)}) == date(2026, 12, 6)


def test_the_digest_names_teams_and_projects_by_name_with_their_ids():
    rows = [digest.SpendRow(False, "openai", "proj_a", "gpt-4o", "usd", D(1), "Search"),
            digest.SpendRow(True, "openai", "proj_a", "gpt-4o", "usd", D(3), "Search"),
            digest.SpendRow(True, "anthropic", "default", "claude", "usd", D(2), None)]
    found = digest.compute("growth", date(2026, 12, 14), 2, rows, team_name="Growth Team")
    assert {(i.dimension, i.name) for i in found.increases} == {
        ("model", "gpt-4o"), ("project", "Search (proj_a)"), ("project", "default"), ("model", "claude")}
    assert found.message().startswith("Team Growth Team (growth), weekly digest 2026-W51")
    assert digest.compute("growth", date(2026, 12, 14), 2, rows).message().startswith("Team growth, weekly")

"""Rollups on the real PostgreSQL stay equal to a GROUP BY of cost_data after loads, reruns, restatements,
failures, rollbacks, re-parses and concurrent teams; a load writes only the groups it changed; restatements
record old and new day totals."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from finops.analytics import restatements as restatements_module
from finops.analytics import rollups as rollups_module
from finops.analytics.restatements import restated_days
from finops.analytics.rollups import RollupBatch, rebuild, refresh_rollups, reparse
from finops.costs.models import CostRow
from finops.warehouse.db import KeptConnections, connect
from finops.warehouse.loader import DuplicateCostRow, Window, replace_window

WINDOW = Window(date(2026, 3, 1), date(2026, 3, 4))
NOISE = Decimal("0.13080438340307526")
ITEMS = ("gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06, cached input", "batch | gpt-4o-mini-2024-07-18, output",
         "web search tool calls", "Something the parser has never seen")

EXPECTED = {
    "spend_daily": (
        "SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier, "
        "d.cost_kind, c.currency, sum(c.amount), count(*) "
        "FROM finops.cost_data c LEFT JOIN finops.line_items d USING (provider, line_item) "
        "GROUP BY c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier, "
        "d.cost_kind, c.currency",
        "SELECT provider, team_id, usage_date, project_id, model, model_family, token_kind, tier, cost_kind, currency, "
        "sum(amount), sum(rows) FROM finops.spend_daily "
        "GROUP BY provider, team_id, usage_date, project_id, model, model_family, token_kind, tier, cost_kind, currency"),
    "spend_project_daily": (
        "SELECT provider, team_id, usage_date, project_id, currency, sum(amount), count(*) FROM finops.cost_data "
        "GROUP BY provider, team_id, usage_date, project_id, currency",
        "SELECT provider, team_id, usage_date, project_id, currency, amount, rows FROM finops.spend_project_daily"),
    "spend_project_monthly": (
        "SELECT provider, team_id, date_trunc('month', usage_date)::date, project_id, currency, sum(amount), count(*) "
        "FROM finops.cost_data GROUP BY 1, 2, 3, 4, 5",
        "SELECT provider, team_id, month, project_id, currency, amount, rows FROM finops.spend_project_monthly"),
    "spend_model_daily": (
        "SELECT c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency, "
        "sum(c.amount), count(*) "
        "FROM finops.cost_data c LEFT JOIN finops.line_items d USING (provider, line_item) "
        "GROUP BY c.provider, c.usage_date, d.model, d.model_family, d.token_kind, d.tier, d.cost_kind, c.currency",
        "SELECT provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency, amount, rows "
        "FROM finops.spend_model_daily"),
    "spend_key_daily": (
        "SELECT c.provider, c.team_id, c.usage_date, c.project_id, c.api_key_id, c.allocated, "
        "CASE WHEN c.api_key_id IS NULL AND c.project_id <> 'unassigned' THEN d.cost_kind ELSE '' END, c.currency, "
        "sum(c.amount), count(*) FROM finops.cost_data c LEFT JOIN finops.line_items d USING (provider, line_item) "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
        "SELECT provider, team_id, usage_date, project_id, api_key_id, allocated, cost_kind, currency, amount, rows "
        "FROM finops.spend_key_daily"),
    "spend_key_monthly": (
        "SELECT c.provider, c.team_id, date_trunc('month', c.usage_date)::date, c.project_id, c.api_key_id, "
        "c.allocated, CASE WHEN c.api_key_id IS NULL AND c.project_id <> 'unassigned' THEN d.cost_kind ELSE '' END, "
        "c.currency, sum(c.amount), count(*) "
        "FROM finops.cost_data c LEFT JOIN finops.line_items d USING (provider, line_item) "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
        "SELECT provider, team_id, month, project_id, api_key_id, allocated, cost_kind, currency, amount, rows "
        "FROM finops.spend_key_monthly"),
    # Written apart from migration 0019's view: cost rows per (team, day, line item model, token kind) next to usage
    # rows unpivoted per (team, day, model, token kind), matched on the whole key (no null key value is '\x01').
    "usage_model_daily": (
        "WITH costs AS (SELECT c.provider, c.team_id, c.usage_date, d.model, "
        "  CASE WHEN d.cost_kind = 'tokens' THEN d.token_kind END AS kind, sum(c.amount) AS cost, count(*) AS n "
        "  FROM finops.cost_data c JOIN finops.line_items d USING (provider, line_item) GROUP BY 1, 2, 3, 4, 5), "
        "usage AS (SELECT u.provider, u.team_id, u.usage_date, u.model, k.kind, sum(k.tokens) AS tokens, "
        "  sum(u.requests) FILTER (WHERE k.kind = 'input') AS requests, count(*) AS n "
        "  FROM finops.usage_data u CROSS JOIN LATERAL (VALUES ('input', u.input_tokens), "
        "    ('cached input', u.cache_read_tokens), ('cache write 5m', COALESCE(u.cache_write_5m_tokens, 0)), "
        "    ('cache write 1h', COALESCE(u.cache_write_1h_tokens, 0)), ('cache write', u.cache_write_tokens "
        "     - COALESCE(u.cache_write_5m_tokens, 0) - COALESCE(u.cache_write_1h_tokens, 0)), "
        "    ('output', u.output_tokens)) AS k (kind, tokens) GROUP BY 1, 2, 3, 4, 5 "
        "  HAVING sum(k.tokens) <> 0 OR sum(u.requests) FILTER (WHERE k.kind = 'input') IS NOT NULL) "
        "SELECT COALESCE(c.provider, u.provider)::text, COALESCE(c.team_id, u.team_id), "
        "  COALESCE(c.usage_date, u.usage_date), COALESCE(c.model, u.model), COALESCE(c.kind, u.kind), c.cost, "
        "  COALESCE(c.n, 0), COALESCE(u.tokens, 0), u.requests, COALESCE(u.n, 0) "
        "FROM costs c FULL JOIN usage u ON c.provider = u.provider AND c.team_id = u.team_id "
        "  AND c.usage_date = u.usage_date AND COALESCE(c.model, '\x01') = COALESCE(u.model, '\x01') "
        "  AND COALESCE(c.kind, '\x01') = COALESCE(u.kind, '\x01')",
        "SELECT provider::text, team_id, usage_date, model, token_kind, cost, cost_rows, tokens, requests, usage_rows "
        "FROM finops.usage_model_daily"),
    # Written apart from usage_model_mtd_refresh.sql's windows: for every group and day from its first row to its
    # team's last row of the month, the FILTERed sums of page_segments.sql over the month's rows up to that day.
    "usage_model_mtd": (
        "WITH src AS (SELECT provider, team_id, usage_date, date_trunc('month', usage_date) AS m, model, token_kind, "
        "  cost, tokens, requests FROM finops.usage_model_daily "
        "  WHERE cost IS NOT NULL OR tokens <> 0 OR requests <> 0), "
        "g AS (SELECT provider, team_id, m, model, token_kind, min(usage_date) AS f FROM src GROUP BY 1, 2, 3, 4, 5), "
        "l AS (SELECT provider, team_id, m, max(usage_date) AS l FROM src GROUP BY 1, 2, 3), "
        "days AS (SELECT g.*, d::date AS day FROM g JOIN l USING (provider, team_id, m), "
        "  generate_series(g.f, l.l, interval '1 day') AS d) "
        "SELECT days.provider::text, days.team_id, days.day, days.model, days.token_kind, sum(s.cost), "
        "  sum(s.tokens)::bigint, sum(s.requests)::bigint, "
        "  sum(s.cost) FILTER (WHERE s.tokens > 0 AND s.cost <> 0), "
        "  COALESCE(sum(s.tokens) FILTER (WHERE s.tokens > 0 AND s.cost <> 0), 0)::bigint, "
        "  sum(s.cost) FILTER (WHERE s.tokens = 0 AND s.cost <> 0), "
        "  COALESCE(sum(s.tokens) FILTER (WHERE s.tokens > 0 AND COALESCE(s.cost, 0) = 0), 0)::bigint "
        "FROM days JOIN src s ON s.provider = days.provider AND s.team_id = days.team_id AND s.m = days.m "
        "  AND s.model IS NOT DISTINCT FROM days.model AND s.token_kind IS NOT DISTINCT FROM days.token_kind "
        "  AND s.usage_date <= days.day "
        "GROUP BY 1, 2, 3, 4, 5",
        "SELECT provider::text, team_id, usage_date, model, token_kind, cost, tokens, requests, matched_cost, "
        "matched_tokens, cost_without_usage, tokens_without_cost FROM finops.usage_model_mtd"),
}

ROLLUPS_TRUNCATE = ("TRUNCATE finops.line_items, finops.spend_project_daily, "
                    "finops.spend_project_monthly, "
                    "finops.spend_model_daily, finops.usage_model_daily, finops.usage_model_mtd, "
                    "finops.spend_key_daily, finops.spend_key_monthly")


ROLLUP_TABLES = ("spend_project_daily", "spend_project_monthly", "spend_model_daily", "usage_model_daily",
                 "spend_key_daily", "spend_key_monthly")


def assert_rollups_equal_cost_data(db) -> None:
    """Each rollup holds exactly the GROUP BY of cost_data at its grain (exact numerics, no zero rows)."""
    assert db.execute("SELECT count(*) FROM finops.cost_data c LEFT JOIN finops.line_items d "
                      "USING (provider, line_item) WHERE d.line_item IS NULL").fetchone()[0] == 0
    assert (db.execute("SELECT count(*) FROM finops.spend_daily").fetchone()
            == db.execute("SELECT count(*) FROM finops.cost_data").fetchone())
    for table, (expected, actual) in EXPECTED.items():
        want = sorted(db.execute(expected).fetchall(), key=repr)
        got = sorted(db.execute(actual).fetchall(), key=repr)
        assert got == want, table


def rows(scale: str = "1", days: int = 3, items=ITEMS, projects=("proj_a", "proj_b", None)) -> list[CostRow]:
    out = []
    for d in range(days):
        for p in projects:
            for i, item in enumerate(items):
                out.append(CostRow(WINDOW.start + timedelta(days=d), p or "unassigned", item, "usd",
                                   Decimal(scale) * NOISE * (i + 1), Decimal(1000), "tokens", "org-x"))
    return out


@pytest.fixture
def teams(db):
    db.execute(ROLLUPS_TRUNCATE)  # derived tables, not cascaded from teams
    for team in ("growth", "search"):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, team))
    return "growth", "search"


def load(team_id, data, window=WINDOW, provider="openai"):
    """The loader called directly: it applies its change to the rollups and records restatements in its
    transaction."""
    result = replace_window(team_id, window, iter(data), dag_run_id="test", started_at=datetime.now(UTC),
                            provider=provider)
    return result, result.restated


def row_versions(db) -> dict[str, dict[tuple, str]]:
    """Each rollup row's version (xmin) by key: a row written again, even with the same values, gets a new one."""
    keys = {"spend_project_daily": "provider, team_id, usage_date, project_id, currency",
            "spend_project_monthly": "provider, team_id, month, project_id, currency",
            "spend_model_daily": "provider, usage_date, model, model_family, token_kind, tier, cost_kind, currency",
            "spend_key_daily": "provider, team_id, usage_date, project_id, api_key_id, allocated, cost_kind, currency",
            "spend_key_monthly": "provider, team_id, month, project_id, api_key_id, allocated, cost_kind, currency",
            "usage_model_daily": "provider, team_id, usage_date, model, token_kind"}
    return {table: {tuple(r[:-1]): r[-1] for r in db.execute(f"SELECT {key}, xmin::text FROM finops.{table}")}  # noqa: S608
            for table, key in keys.items()}


def test_loads_and_reruns_keep_rollups_equal_to_cost_data(teams, db):
    growth, search = teams
    load(growth, rows("1"))
    load(search, rows("2"))
    assert_rollups_equal_cost_data(db)
    assert db.execute("SELECT count(*) FROM finops.spend_model_daily").fetchone()[0] == 3 * len(ITEMS)

    # rerun with other amounts, fewer line items and a day that became empty
    load(growth, rows("3", days=2, items=ITEMS[:2]))
    assert_rollups_equal_cost_data(db)
    # rerun of a window narrower than the first: the other days stay
    load(search, rows("5", days=1), window=Window(WINDOW.start, WINDOW.start + timedelta(days=1)))
    assert_rollups_equal_cost_data(db)
    # the unknown line item is kept with a null model; its spend is never lost
    unknown = db.execute("SELECT sum(amount) FROM finops.spend_daily WHERE model IS NULL AND cost_kind = 'other'"
                         ).fetchone()[0]
    raw = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE line_item = %s", (ITEMS[4],)).fetchone()[0]
    assert unknown == raw and raw > 0
    # a team losing every row empties its rollups for the window
    load(growth, [])
    assert db.execute("SELECT count(*) FROM finops.spend_daily WHERE team_id = 'growth'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM finops.spend_project_daily WHERE team_id = 'growth'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM finops.spend_project_monthly WHERE team_id = 'growth'").fetchone()[0] == 0
    assert_rollups_equal_cost_data(db)
    # and the other team losing every row too: no group is left behind at zero
    load(search, [])
    for table in ROLLUP_TABLES:
        assert db.execute(f"SELECT count(*) FROM finops.{table}").fetchone()[0] == 0, table  # noqa: S608
    assert_rollups_equal_cost_data(db)


def test_a_rerun_of_identical_rows_writes_no_rollup_row(teams, db):
    growth, search = teams
    load(growth, rows("1"))
    load(search, rows("2"))
    before = row_versions(db)
    assert all(before.values())
    result, _ = load(growth, rows("1"))
    assert result.rows == len(rows("1"))  # the cost rows were replaced...
    assert row_versions(db) == before  # ...and no rollup row was written
    assert_rollups_equal_cost_data(db)


def test_a_restated_day_rewrites_only_that_days_groups(teams, db):
    growth, search = teams
    load(growth, rows("1"))
    load(search, rows("2"))
    before = row_versions(db)
    day2 = WINDOW.start + timedelta(days=1)
    restated = [CostRow(r.usage_date, r.project_id, r.line_item, r.currency, r.amount + Decimal("0.01"), r.quantity,
                        r.quantity_unit, r.organization_id) if r.usage_date == day2 and r.project_id == "proj_a" else r
                for r in rows("1")]
    load(growth, restated)
    after = row_versions(db)
    assert_rollups_equal_cost_data(db)
    changed = {table: {key for key, version in rows_.items() if before[table].get(key) != version}
               for table, rows_ in after.items()}
    # growth's proj_a on day 2 (its project row and its month) and the model groups of day 2 (all teams' sums)
    assert changed["spend_project_daily"] == {("openai", growth, day2, "proj_a", "usd")}
    assert changed["spend_project_monthly"] == {("openai", growth, WINDOW.start, "proj_a", "usd")}
    assert {key[1] for key in changed["spend_model_daily"]} == {day2}
    assert len(changed["spend_model_daily"]) == len(ITEMS)
    # the usage rollup: growth's day 2 groups only (proj_a's cost is in each of them)
    assert {key[1:3] for key in changed["usage_model_daily"]} == {(growth, day2)}
    assert after.keys() == before.keys() and all(after[t].keys() == before[t].keys() for t in after)


def test_failed_loads_leave_cost_data_and_rollups_as_they_were(teams, db):
    growth, _ = teams
    load(growth, rows("1"))
    before = row_versions(db)
    with pytest.raises(DuplicateCostRow):
        load(growth, rows("2") + rows("2")[:1])
    assert row_versions(db) == before
    assert_rollups_equal_cost_data(db)


def test_refresh_in_the_loads_transaction_rolls_back_with_it(teams, db):
    growth, _ = teams
    load(growth, rows("1"))
    before = db.execute("SELECT sum(amount), count(*) FROM finops.spend_model_daily").fetchone()
    with pytest.raises(RuntimeError), connect() as conn:
        conn.execute("DELETE FROM finops.cost_data WHERE team_id = %s", (growth,))
        refresh_rollups(conn, "openai", growth, WINDOW.start, WINDOW.end)
        assert conn.execute("SELECT count(*) FROM finops.spend_model_daily").fetchone()[0] == 0
        raise RuntimeError("the process died before commit")
    assert db.execute("SELECT sum(amount), count(*) FROM finops.spend_model_daily").fetchone() == before
    assert_rollups_equal_cost_data(db)


def test_a_load_failing_after_its_rollup_change_rolls_both_back(teams, db, monkeypatch):
    growth, _ = teams
    load(growth, rows("1"))
    before = row_versions(db)

    applied = []
    real_apply = rollups_module.apply_changes

    def apply_then_die(conn, changes):
        applied.append(real_apply(conn, changes))
        raise RuntimeError("the process died before commit")

    monkeypatch.setattr(rollups_module, "apply_changes", apply_then_die)  # after the change was applied
    with pytest.raises(RuntimeError):
        load(growth, rows("2", days=2))
    assert applied == [1]
    assert row_versions(db) == before
    assert db.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0] == sum(r.amount for r in rows("1"))
    assert_rollups_equal_cost_data(db)


def test_refresh_repairs_rollups_that_drifted_from_cost_data(teams, db):
    growth, search = teams
    load(growth, rows("1"))
    load(search, rows("2"))
    # As if rows had been changed behind the loader's back: a wrong sum, a lost group, a stray group.
    db.execute("UPDATE finops.spend_project_daily SET amount = amount + 1 WHERE team_id = %s AND usage_date = %s",
               (growth, WINDOW.start))
    db.execute("DELETE FROM finops.spend_model_daily WHERE usage_date = %s AND model IS NULL", (WINDOW.start,))
    db.execute("INSERT INTO finops.spend_project_monthly (provider, team_id, month, project_id, currency, amount, "
               "rows) VALUES ('openai', %s, '2026-03-01', 'proj_stray', 'usd', 5, 1)", (growth,))
    with connect() as conn:
        refresh_rollups(conn, "openai", growth, WINDOW.start, WINDOW.end)
    assert_rollups_equal_cost_data(db)


def test_both_providers_and_rebuild_equals_incremental(teams, db):
    growth, search = teams
    load(growth, rows("1"))
    # Anthropic rows (the Anthropic loader is another issue's): written directly, then refreshed.
    for day in range(3):
        for description, amount in (("Claude Sonnet 4 Usage - Input Tokens", "1.2378912"),
                                     ("Claude Sonnet 4 Usage - Output Tokens", "0.00004"),
                                     ("Web Search Usage", "0.01")):
            db.execute("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                       "amount, collected_at) VALUES ('anthropic', %s, %s, 'default', %s, 'usd', %s, now())",
                       (search, WINDOW.start + timedelta(days=day), description, Decimal(amount)))
    with connect() as conn:
        refresh_rollups(conn, "anthropic", search, WINDOW.start, WINDOW.end)
    assert_rollups_equal_cost_data(db)
    assert db.execute("SELECT DISTINCT model FROM finops.spend_daily WHERE provider = 'anthropic' "
                      "AND model IS NOT NULL").fetchall() == [("claude-sonnet-4",)]
    incremental = {t: sorted(db.execute(q[1]).fetchall(), key=repr) for t, q in EXPECTED.items()}
    with connect() as conn:
        rebuild(conn)
    assert {t: sorted(db.execute(q[1]).fetchall(), key=repr) for t, q in EXPECTED.items()} == incremental


def test_reparse_fixes_stale_dimensions_and_only_their_windows(teams, db):
    growth, search = teams
    load(growth, rows("1"))
    load(search, rows("1", items=ITEMS[3:]))
    # As if an older parser had got one line item wrong.
    db.execute("UPDATE finops.line_items SET model = NULL, model_family = NULL, token_kind = NULL, "
               "cost_kind = 'other', recognized = false WHERE line_item = %s", (ITEMS[0],))
    with connect() as conn:
        rebuild(conn)
    assert db.execute("SELECT count(*) FROM finops.spend_daily WHERE model = 'gpt-4o-2024-08-06' "
                      "AND token_kind = 'input'").fetchone()[0] == 0
    with connect() as conn:
        result = reparse(conn)
    assert (result.changed, result.days) == (1, 3)  # only the days holding that line item
    assert db.execute("SELECT count(*) FROM finops.spend_daily WHERE model = 'gpt-4o-2024-08-06' "
                      "AND token_kind = 'input'").fetchone()[0] == 3 * 3
    assert_rollups_equal_cost_data(db)
    with connect() as conn:
        assert reparse(conn).changed == 0  # nothing left to fix: a second run is a no-op


def test_concurrent_teams_refreshing_the_same_days(teams, db):
    names = [f"team{n}" for n in range(6)]
    for team in names:
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, team))
    errors = []

    def work(team: str, scale: int) -> None:
        try:
            for attempt in range(3):
                load(team, rows(str(scale + attempt)))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(team, n + 1)) for n, team in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_rollups_equal_cost_data(db)


def test_restatements_record_old_and_new_day_totals(teams, db, monkeypatch):
    growth, _ = teams
    counted = []
    monkeypatch.setattr(restatements_module, "_count", lambda days, provider, team: counted.append((days, team)))
    first, found = load(growth, rows("1"))
    assert found == [] and counted == []

    later = rows("1")
    later[0] = CostRow(later[0].usage_date, later[0].project_id, later[0].line_item, "usd", Decimal("9.5"),
                       Decimal(1), "tokens", "org-x")
    later = [r for r in later if r.usage_date != WINDOW.start + timedelta(days=2)]  # day 3 settled to zero
    failed_window = Window(WINDOW.start, WINDOW.end)
    from finops.warehouse.loader import record_failure

    record_failure(growth, failed_window, "HTTP 503", dag_run_id="x", started_at=datetime.now(UTC))
    second, found = load(growth, later)
    day1, day3 = WINDOW.start, WINDOW.start + timedelta(days=2)
    old_day1 = sum((r.amount for r in rows("1") if r.usage_date == day1), Decimal(0))
    new_day1 = sum((r.amount for r in later if r.usage_date == day1), Decimal(0))
    old_day3 = sum((r.amount for r in rows("1") if r.usage_date == day3), Decimal(0))
    assert [(r.usage_date, r.old_amount, r.new_amount) for r in found] == [
        (day1, old_day1, new_day1), (day3, old_day3, Decimal(0))]
    assert counted == [(2, growth)]
    stored = db.execute("SELECT usage_date, old_run_id, run_id, old_amount, new_amount FROM finops.restatements "
                        "ORDER BY usage_date").fetchall()
    assert stored == [(day1, first.run_id, second.run_id, old_day1, new_day1),
                      (day3, first.run_id, second.run_id, old_day3, Decimal(0))]
    # the same totals again: nothing new is restated
    _, found = load(growth, later)
    assert found == []
    with connect() as conn:
        days = restated_days(conn, WINDOW.start, WINDOW.end, team_id=growth)
    assert [(d.usage_date, d.new_amount, d.times) for d in days] == [(day1, new_day1, 1), (day3, Decimal(0), 1)]
    assert_rollups_equal_cost_data(db)


def test_sums_beyond_28_digits_stay_exact(teams, db):
    growth, _ = teams

    def wide(last_digit: int) -> Decimal:  # 32 digits (Python's default context keeps 28), built without arithmetic
        return Decimal(f"12345678901234.12345678901234567{last_digit}")

    data = [CostRow(WINDOW.start, "proj_a", item, "usd", wide(i), Decimal(1), "tokens", "org-x")
            for i, item in enumerate(ITEMS)]
    load(growth, data)
    load(growth, [r._replace(amount=wide(9 - i)) for i, r in enumerate(data)])
    assert_rollups_equal_cost_data(db)
    (rollup,) = db.execute("SELECT amount FROM finops.spend_project_daily").fetchone()
    assert rollup == db.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0]
    assert len(rollup.as_tuple().digits) > 28  # exact, not rounded to the default context's 28 digits


# --- A collection's loads: their changes applied by the task's batch, right after them -------------------------

def load_batched(team_id, data, batch, connections, dag_run_id="test", window=WINDOW):
    return replace_window(team_id, window, iter(data), dag_run_id=dag_run_id, started_at=datetime.now(UTC),
                          connections=connections, rollups=batch)


def pending(db) -> list[str]:
    return [t for (t,) in db.execute("SELECT team_id FROM finops.rollup_pending JOIN "
                                     "finops.collection_runs USING (run_id) ORDER BY run_id")]


def test_a_batch_applies_its_loads_changes_together_and_each_once(teams, db):
    growth, search = teams
    load(growth, rows("1"))
    load(search, rows("2"))
    before = row_versions(db)
    with KeptConnections() as connections:
        batch = RollupBatch(connections, size=3)
        load_batched(growth, rows("3"), batch, connections)
        load_batched(search, rows("4", days=2), batch, connections)
        # Loaded and committed, not applied yet: the rollups still hold the previous loads, the runs are pending.
        assert db.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0] == sum(
            r.amount for r in rows("3") + rows("4", days=2))
        assert row_versions(db) == before
        assert pending(db) == [growth, search]
        load_batched(growth, rows("5"), batch, connections)  # the third: the batch is applied
        assert pending(db) == [] and batch.applied == 3
        assert_rollups_equal_cost_data(db)
        load_batched(search, rows("6"), batch, connections)
        assert pending(db) == [search]
        batch.flush()  # the end of the task
        batch.flush()  # nothing left: a second flush changes nothing
    assert pending(db) == [] and batch.applied == 4
    assert_rollups_equal_cost_data(db)


def test_a_pending_load_recomputed_by_a_repair_is_not_applied_again(teams, db):
    growth, search = teams
    load(search, rows("2"))
    with KeptConnections() as connections:
        batch = RollupBatch(connections, size=10)
        load_batched(growth, rows("3"), batch, connections)
        # A repair of another team's window claims every pending load and recomputes it from cost_data...
        with connect() as conn:
            refresh_rollups(conn, "openai", search, WINDOW.start, WINDOW.end)
        assert pending(db) == []
        assert_rollups_equal_cost_data(db)
        batch.flush()  # ...so the batch finds the load claimed and adds nothing
    assert batch.applied == 0
    assert_rollups_equal_cost_data(db)


def test_a_reparse_claims_pending_loads_computed_with_the_old_dimensions(teams, db):
    growth, _ = teams
    load(growth, rows("1"))
    # As if an older parser had got one line item wrong (the load's change is computed with these dimensions).
    db.execute("UPDATE finops.line_items SET model = NULL, model_family = NULL, token_kind = NULL, "
               "cost_kind = 'other', recognized = false WHERE line_item = %s", (ITEMS[0],))
    with connect() as conn:
        rebuild(conn)
    with KeptConnections() as connections:
        batch = RollupBatch(connections, size=10)
        load_batched(growth, rows("2"), batch, connections)
        with connect() as conn:
            assert reparse(conn).changed == 1
        batch.flush()
    assert batch.applied == 0 and pending(db) == []
    assert_rollups_equal_cost_data(db)


def test_a_batch_that_fails_is_applied_by_the_final_flush(teams, db, monkeypatch):
    growth, search = teams
    real_apply, calls = rollups_module.apply_changes, []

    def fail_once(conn, changes, **options):
        calls.append(len(changes))
        if len(calls) == 1:
            conn.execute("SELECT 1/0")  # a database error inside the batch's transaction
        return real_apply(conn, changes, **options)

    monkeypatch.setattr(rollups_module, "apply_changes", fail_once)
    with KeptConnections() as connections:
        batch = RollupBatch(connections, size=2)
        load_batched(growth, rows("1"), batch, connections)
        load_batched(search, rows("2"), batch, connections)  # the batch fails: kept, the loads stay committed
        assert pending(db) == [growth, search]
        load_batched(growth, rows("3"), batch, connections)  # the connection was rolled back and is usable
        batch.flush()
    assert calls == [2, 3] and batch.applied == 3 and pending(db) == []
    assert_rollups_equal_cost_data(db)


def test_a_task_that_died_before_applying_is_repaired_by_its_retry(teams, db):
    growth, search = teams
    load(search, rows("1"))
    with KeptConnections() as connections:
        died = RollupBatch(connections, size=10)
        load_batched(growth, rows("2"), died, connections, dag_run_id="run-1")
        load_batched(search, rows("3"), died, connections, dag_run_id="run-1")
        # never flushed: the try was killed. Another DAG run's fresh pending load is not an orphan.
        other = RollupBatch(connections, size=10)
        load_batched(search, rows("4", days=1), other, connections, dag_run_id="run-2",
                     window=Window(WINDOW.start, WINDOW.start + timedelta(days=1)))
    with connect() as conn:  # the retry of run-1's task for another team: not its orphans
        assert rollups_module.repair_orphans(conn, "openai", "run-1", ["lapsed"]) == 0
    with connect() as conn:  # the retry of the task that loaded growth and search
        assert rollups_module.repair_orphans(conn, "openai", "run-1", [growth, search]) == 3  # run-2's too
    assert pending(db) == []
    assert_rollups_equal_cost_data(db)
    with connect() as conn:
        assert rollups_module.repair_orphans(conn, "openai", "run-1", [growth, search]) == 0
    # A load left pending for more than an hour (its task is gone) is repaired by any task.
    with KeptConnections() as connections:
        load_batched(growth, rows("5"), RollupBatch(connections), connections, dag_run_id="run-3")
    db.execute("UPDATE finops.collection_runs SET finished_at = finished_at - interval '61 minutes' "
               "WHERE run_id IN (SELECT run_id FROM finops.rollup_pending)")
    with connect() as conn:
        assert rollups_module.repair_orphans(conn, "openai", "run-4", ["lapsed"]) == 1
    assert_rollups_equal_cost_data(db)


def test_concurrent_batches_and_repairs_keep_rollups_equal_to_cost_data(teams, db):
    names = [f"team{n}" for n in range(6)]
    for team in names:
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, team))
    errors, done = [], threading.Event()

    def collect(batch_teams: list[str], scale: int) -> None:
        try:
            with KeptConnections() as connections:
                batch = RollupBatch(connections, size=2)
                for attempt in range(3):
                    for team in batch_teams:
                        load_batched(team, rows(str(scale + attempt)), batch, connections)
                batch.flush()
        except Exception as exc:  # reported below
            errors.append(exc)

    def repair() -> None:
        try:
            while not done.is_set():
                with connect() as conn:
                    refresh_rollups(conn, "openai", names[0], WINDOW.start, WINDOW.end)
        except Exception as exc:  # reported below
            errors.append(exc)

    tasks = [threading.Thread(target=collect, args=(names[n::3], n + 1)) for n in range(3)]
    repairer = threading.Thread(target=repair)
    repairer.start()
    for thread in tasks:
        thread.start()
    for thread in tasks:
        thread.join()
    done.set()
    repairer.join()
    assert errors == []
    assert pending(db) == []
    assert_rollups_equal_cost_data(db)


def test_a_long_window_returns_its_deleted_rows_summed_and_keeps_rollups_equal(teams, db, monkeypatch):
    from finops.warehouse import loader

    growth, search = teams
    long_window = Window(WINDOW.start, WINDOW.start + timedelta(days=loader.DELETED_ROWS_MAX_DAYS + 3))
    load(growth, rows("1", days=10), window=long_window)  # a backfill's window: the delete sums in SQL
    load(search, rows("2"))
    statements = []
    real_sql = loader.paths.sql
    monkeypatch.setattr(loader.paths, "sql", lambda name: statements.append(name) or real_sql(name))
    load(growth, rows("3", days=9, items=ITEMS[1:]), window=long_window)
    load(search, rows("4", days=2))  # a daily window: the delete returns its rows
    assert loader.DELETE_WINDOW_SUMMED in statements and loader.DELETE_WINDOW in statements
    assert_rollups_equal_cost_data(db)


def keyed_rows(scale: str = "1", days: int = 3, keys: int = 3, allocated: bool = False,
               items=ITEMS) -> list[CostRow]:
    """Per-key rows as issue 26 collects them: each (day, project, line item) split over some keys (not every key
    uses every line item), a part with no key (the Playground, not reported per key) and the unassigned project's
    rows with no key; ``allocated`` marks the keys' parts as Anthropic's allocation does."""
    out = []
    for d in range(days):
        day = WINDOW.start + timedelta(days=d)
        for p in ("proj_a", "proj_b", "unassigned"):
            for i, item in enumerate(items):
                owners = [None] if p == "unassigned" else [None, *(f"key_{p}_{k}" for k in range(keys)
                                                                   if (d + i + k) % 3 != 1)]
                for n, key in enumerate(owners):
                    out.append(CostRow(day, p, item, "usd", Decimal(scale) * NOISE * (i + 1) * (n + 1),
                                       Decimal(1000), "tokens", "org-x", api_key_id=key,
                                       allocated=allocated and key is not None))
    return out


def test_key_rollups_equal_cost_data_after_loads_reruns_failures_rebuild_and_reparse(teams, db, monkeypatch):
    """spend_key_daily and spend_key_monthly (migration 0020) through every path that changes cost_data."""
    from finops.warehouse import loader

    growth, search = teams
    load(growth, keyed_rows("1"))
    load(search, keyed_rows("2", keys=5, allocated=True))
    assert_rollups_equal_cost_data(db)
    assert db.execute("SELECT count(*) FROM finops.spend_key_daily WHERE api_key_id IS NOT NULL").fetchone()[0] > 0
    # the same rows again: nothing written
    before = row_versions(db)
    load(growth, keyed_rows("1"))
    assert row_versions(db) == before
    # a rerun where keys disappear, a key moves from allocated to billed and amounts change
    load(growth, keyed_rows("3", days=2, keys=1))
    load(search, keyed_rows("2", keys=5, allocated=False))
    assert_rollups_equal_cost_data(db)
    # a failed load (the same natural key twice) leaves cost_data and the rollups as they were
    before = row_versions(db)
    with pytest.raises(DuplicateCostRow):
        load(growth, keyed_rows("4") + keyed_rows("4")[-1:])
    assert row_versions(db) == before
    assert_rollups_equal_cost_data(db)
    # a long window: the delete returns its rows summed per group (the 'k' grain)
    long_window = Window(WINDOW.start, WINDOW.start + timedelta(days=loader.DELETED_ROWS_MAX_DAYS + 3))
    load(growth, keyed_rows("5", days=10), window=long_window)
    load(growth, keyed_rows("6", days=9, keys=2, items=ITEMS[1:]), window=long_window)
    assert_rollups_equal_cost_data(db)
    # a batch applying several loads' changes at once, each once
    with KeptConnections() as connections:
        batch = RollupBatch(connections, size=2)
        for team, scale in ((growth, "7"), (search, "8"), (growth, "9")):
            replace_window(team, WINDOW, iter(keyed_rows(scale, keys=4)), dag_run_id="batch",
                           started_at=datetime.now(UTC), connections=connections, rollups=batch)
        batch.flush()
    assert_rollups_equal_cost_data(db)
    # drift repaired by a refresh, then a rebuild and a re-parse leave them equal
    db.execute("UPDATE finops.spend_key_daily SET amount = amount + 1 WHERE team_id = %s", (growth,))
    db.execute("DELETE FROM finops.spend_key_monthly WHERE team_id = %s", (growth,))
    with connect() as conn:
        refresh_rollups(conn, "openai", growth, WINDOW.start, long_window.end)
    assert_rollups_equal_cost_data(db)
    db.execute("UPDATE finops.spend_key_daily SET amount = amount + 1")
    with connect() as conn:
        rebuild(conn)
    assert_rollups_equal_cost_data(db)
    # a re-parse that changes a line item's kind of cost moves its spend with no key between reasons
    db.execute("UPDATE finops.line_items SET cost_kind = 'other' WHERE line_item = %s", (ITEMS[0],))
    with connect() as conn:
        rebuild(conn)
    # loads while the stored kind is stale (the parser says 'tokens'): grouped by the stored one, short and long
    load(search, keyed_rows("10", keys=2))
    load(growth, keyed_rows("11", days=10), window=long_window)
    assert_rollups_equal_cost_data(db)
    tokens = "SELECT sum(amount) FROM finops.spend_key_daily WHERE cost_kind = 'tokens'"
    stale = db.execute(tokens).fetchone()[0]
    with connect() as conn:
        assert reparse(conn).changed == 1
    assert db.execute(tokens).fetchone()[0] > stale
    assert_rollups_equal_cost_data(db)
    # every row gone: no key group left at zero
    load(growth, [], window=long_window)
    load(search, [])
    assert db.execute("SELECT count(*) FROM finops.spend_key_daily").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM finops.spend_key_monthly").fetchone()[0] == 0

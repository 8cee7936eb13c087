"""The usage panels' rollup (``finops.usage_model_daily``, migration 0019) on the real PostgreSQL: after loads of costs
with usage (the loader's own transaction and a collect_team batch), reruns that change only the usage, a failed load,
a batch that died before applying, a rebuild, a re-parse and the migration's own fill, it equals SQL over cost_data
and usage_data (``EXPECTED["usage_model_daily"]``, written apart from the migration's view); and the page read from
it equals ``segments.sql`` over the raw tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from test_analytics_rollups import (
    EXPECTED,
    ITEMS,
    NOISE,
    ROLLUPS_TRUNCATE,
    WINDOW,
    assert_rollups_equal_cost_data,
    rows,
)

from finops.analytics import rollups
from finops.analytics.report import Period
from finops.costs.models import CostRow
from finops.usage.load import DuplicateUsageRow, UsageLoad
from finops.usage.models import UsageRow
from finops.usage.report import page_segments, segments
from finops.warehouse.db import KeptConnections, connect
from finops.warehouse.loader import Window, replace_window

MODEL = "gpt-4o-2024-08-06"


def usage(scale: int = 1, days: int = 3, requests: int | None = 7) -> list[UsageRow]:
    """Usage behind ``rows()``: two projects of gpt-4o (input, cache reads), batch mini output, a cache write split."""
    out = []
    for d in range(days):
        day = WINDOW.start + timedelta(days=d)
        for n, project in enumerate(("proj_a", "unassigned")):
            out += [UsageRow(day, project, "completions", model=MODEL, batch=False, requests=requests,
                             input_tokens=scale * (1000 + d + n), cache_read_tokens=scale * 300,
                             cache_write_tokens=scale * 50, cache_write_5m_tokens=scale * 20,
                             output_tokens=scale * 90),
                    UsageRow(day, project, "completions", model="gpt-4o-mini-2024-07-18", batch=True, requests=3,
                             output_tokens=scale * (400 + d)),
                    UsageRow(day, project, "images", model="gpt-image-1", requests=2)]  # requests, no tokens
    return out


def usage_rollup(db) -> list[tuple]:
    return sorted(db.execute(EXPECTED["usage_model_daily"][1]).fetchall(), key=repr)


def load(team_id, data, usage_rows=(), window=WINDOW, **kwargs):
    return replace_window(team_id, window, iter(data), dag_run_id="test", started_at=datetime.now(UTC),
                          usage=UsageLoad(list(usage_rows)), **kwargs)


@pytest.fixture
def teams(db):
    db.execute(ROLLUPS_TRUNCATE)
    for team in ("growth", "search"):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, team))
    return "growth", "search"


def test_loads_reruns_and_a_failed_load_keep_the_usage_rollup_equal_to_sql(teams, db):
    growth, search = teams
    load(growth, rows("1"), usage(1))
    load(search, rows("2"), usage(2))
    assert_rollups_equal_cost_data(db)
    kinds = {k for (k,) in db.execute("SELECT DISTINCT token_kind FROM finops.usage_model_daily")}
    assert {"input", "cached input", "cache write 5m", "cache write", "output", None} <= kinds
    # cost and tokens side by side on one row (gpt-4o input: both line item and usage)
    assert db.execute("SELECT count(*) FROM finops.usage_model_daily WHERE model = %s AND token_kind = 'input' "
                      "AND cost IS NOT NULL AND tokens > 0", (MODEL,)).fetchone()[0] == 6

    # a rerun with the same costs and other usage: only the usage changed (the cost change is empty)
    load(growth, rows("1"), usage(3, requests=None))
    assert_rollups_equal_cost_data(db)
    # a rerun losing a usage day and a line item, on a narrower window; then one without any usage
    load(search, rows("4", days=1, items=ITEMS[:2]), usage(5, days=1),
         window=Window(WINDOW.start, WINDOW.start + timedelta(days=2)))
    assert_rollups_equal_cost_data(db)
    load(growth, rows("1"), [])
    assert_rollups_equal_cost_data(db)
    load(growth, rows("1"), usage(1))

    # a failed load (a duplicate usage row) leaves cost, usage and the rollup as they were
    before = usage_rollup(db)
    with pytest.raises(DuplicateUsageRow, match=rf"twice for team {growth} in .*already exists.*nothing was replaced"):
        load(growth, rows("6"), usage(6) + usage(6)[:1])
    assert usage_rollup(db) == before
    assert_rollups_equal_cost_data(db)

    # a team losing every row empties its rollup rows
    load(growth, [], [])
    assert db.execute("SELECT count(*) FROM finops.usage_model_daily WHERE team_id = %s", (growth,)).fetchone()[0] == 0
    assert_rollups_equal_cost_data(db)


def test_batched_loads_a_dead_batch_repaired_a_rebuild_and_a_reparse(teams, db):
    growth, search = teams
    with KeptConnections() as connections:
        batch = rollups.RollupBatch(connections, size=2)
        load(growth, rows("1"), usage(1), connections=connections, rollups=batch)
        assert db.execute("SELECT count(*) FROM finops.usage_model_daily").fetchone()[0] == 0  # not applied yet
        load(search, rows("2"), usage(2), connections=connections, rollups=batch)  # the second: applied
        assert_rollups_equal_cost_data(db)
        load(growth, rows("1"), usage(4), connections=connections, rollups=batch)  # usage only changed
        batch.flush()
    assert_rollups_equal_cost_data(db)

    # A task that died after its load committed: the batch never ran; a repair recomputes the pending window.
    with KeptConnections() as connections:
        lost = rollups.RollupBatch(connections, size=10)
        load(search, rows("3"), usage(3), connections=connections, rollups=lost)
    assert db.execute("SELECT count(*) FROM finops.rollup_pending").fetchone()[0] == 1
    with connect() as conn:
        assert rollups.repair_orphans(conn, "openai", "test", None) == 1
    assert_rollups_equal_cost_data(db)

    # Drift behind the loader's back, then a rebuild: equal again.
    db.execute("UPDATE finops.usage_model_daily SET tokens = tokens + 1 WHERE team_id = %s", (growth,))
    db.execute("DELETE FROM finops.usage_model_daily WHERE team_id = %s AND token_kind = 'output'", (search,))
    with connect() as conn:
        rollups.rebuild(conn)
    assert_rollups_equal_cost_data(db)

    # A re-parse that changes a line item's model and kind moves its cost between the rollup's rows.
    db.execute("UPDATE finops.line_items SET model = NULL, model_family = NULL, token_kind = NULL, "
               "cost_kind = 'other', recognized = false WHERE line_item = %s", (ITEMS[0],))
    with connect() as conn:  # the other rollups were computed with the right dimensions: only recompute ours
        rollups.recompute_usage_days(conn, {"openai": {WINDOW.start + timedelta(days=d) for d in range(3)}})
    stale = usage_rollup(db)
    with connect() as conn:
        result = rollups.reparse(conn)
    assert result.changed == 1 and usage_rollup(db) != stale
    assert_rollups_equal_cost_data(db)


def test_the_migration_fills_the_rollup_and_the_page_read_equals_segments(teams, db):
    growth, search = teams
    load(growth, rows("1"), usage(1))
    load(search, rows("2"), usage(2))
    expected = usage_rollup(db)
    # What migration 0019 does to existing rows: its fill statement, from the view.
    db.execute("TRUNCATE finops.usage_model_daily")
    db.execute("INSERT INTO finops.usage_model_daily SELECT * FROM finops.usage_model_source")
    assert usage_rollup(db) == expected
    assert_rollups_equal_cost_data(db)

    current = Period(WINDOW.start + timedelta(days=1), WINDOW.end)
    previous = Period(WINDOW.start, WINDOW.start + timedelta(days=1))

    def order(found):
        return sorted(found, key=lambda s: (tuple(map(str, s.key)), str(s.model), str(s.token_kind)))

    with connect() as conn:
        for team_id, by in ((None, ("team_id",)), (growth, ("model",))):
            for provider in (None, "openai"):
                scope = {"provider": provider, "team_id": team_id}
                read = page_segments(conn, current, previous, by, **scope)
                assert read.daily and read.current and read.previous
                assert order(read.daily) == order(segments(conn, current, ("usage_date", "model"), **scope))
                assert order(read.previous) == order(segments(conn, previous, by, **scope))
                assert order(read.current) == order(segments(conn, current, by, **scope))


def test_a_team_on_both_providers_reads_as_segments_with_anthropic_names(teams, db):
    """growth spends on OpenAI and Anthropic: their non-token costs share (team, day, no model, no kind), Anthropic's
    usage names its models by API id (named after the cost rows' line items when read), one model has usage only."""
    growth, search = teams
    load(growth, rows("1"), usage(1))
    load(search, rows("2"), usage(2))
    anthropic_costs, anthropic_usage = [], []
    for d in range(3):
        day = WINDOW.start + timedelta(days=d)
        for description, amount, token_type in (("Claude Sonnet 4 Usage - Input Tokens", "1.2378912", "uncached_input_tokens"),
                                                ("Claude Sonnet 4 Usage - Output Tokens", "0.00004", "output_tokens"),
                                                ("Web Search Usage", "0.01", None)):
            anthropic_costs.append(CostRow(day, "default", description, "usd", Decimal(amount) * (d + 1), None, None,
                                           None, "claude-sonnet-4-20250514" if token_type else None, token_type))
        anthropic_usage += [UsageRow(day, "default", "messages", model="claude-sonnet-4-20250514", requests=4,
                                     input_tokens=1000 * (d + 1), output_tokens=70),
                            UsageRow(day, "default", "messages", model="claude-haiku-4-5-20251001", requests=1,
                                     input_tokens=5)]  # usage without any cost row: its id stays as is
    load(growth, anthropic_costs, anthropic_usage, provider="anthropic")
    assert_rollups_equal_cost_data(db)

    current = Period(WINDOW.start + timedelta(days=1), WINDOW.end)
    previous = Period(WINDOW.start, WINDOW.start + timedelta(days=1))

    def order(found):
        return sorted(found, key=lambda s: (tuple(map(str, s.key)), str(s.model), str(s.token_kind)))

    with connect() as conn:
        for team_id, by in ((None, ("team_id",)), (growth, ("model",)), (search, ("model",))):
            for provider in (None, "openai", "anthropic"):
                scope = {"provider": provider, "team_id": team_id}
                read = page_segments(conn, current, previous, by, **scope)
                assert order(read.daily) == order(segments(conn, current, ("usage_date", "model"), **scope))
                assert order(read.previous) == order(segments(conn, previous, by, **scope))
                assert order(read.current) == order(segments(conn, current, by, **scope))
        read = page_segments(conn, current, previous, ("model",), team_id=growth)
    models = {s.model for s in read.current}
    assert "claude-sonnet-4" in models and "claude-sonnet-4-20250514" not in models  # named: cost and tokens meet
    assert any(s.model == "claude-sonnet-4" and s.matched_tokens for s in read.current)
    assert "claude-haiku-4-5-20251001" in models  # no cost row names it


def test_periods_cut_at_month_boundaries_read_month_to_date_sums_that_equal_segments(teams, db):
    """usage_model_mtd (migration 0021): pieces of a period that start on the first of a month are read as one row per
    group on their last day (or the team's last day with rows before it); the others day by day. Across a month's
    end, with a day one group lacks and a team whose rows stop earlier, every period's read equals segments.sql, digits
    included, and the table equals its definition after loads, a rerun that drops a day, and a rebuild."""
    growth, search = teams
    window = Window(date(2026, 2, 25), date(2026, 3, 5))
    days = [window.start + timedelta(days=d) for d in range((window.end - window.start).days)]

    def costs(scale: str, team_days) -> list[CostRow]:
        return [CostRow(day, project, item, "usd", Decimal(scale) * NOISE * (i + 1) + Decimal("0.10"),
                        Decimal(1000), "tokens", "org-x")
                for day in team_days for project in ("proj_a", "unassigned") for i, item in enumerate(ITEMS)
                if not (item == ITEMS[1] and day == days[5])]  # one day without a cached input cost: carried sums

    def usage_of(scale: int, team_days) -> list[UsageRow]:
        return [UsageRow(day, "proj_a", "completions", model=MODEL, batch=False, requests=5 + n,
                         input_tokens=scale * (900 + n), cache_read_tokens=scale * 200 if n != 5 else 0,
                         output_tokens=scale * 80)
                for n, day in enumerate(team_days)]

    load(growth, costs("1", days), usage_of(1, days), window=window)
    load(search, costs("3", days[:6]), usage_of(2, days[:6]), window=window)  # rows stop on 2 March
    assert_rollups_equal_cost_data(db)
    assert db.execute("SELECT max(usage_date) FROM finops.usage_model_mtd WHERE team_id = %s", (search,)
                      ).fetchone()[0] == date(2026, 3, 2)

    periods = [Period(date(2026, 3, 1), date(2026, 3, 4)), Period(date(2026, 2, 1), date(2026, 3, 1)),
               Period(date(2026, 2, 27), date(2026, 3, 3)), Period(date(2026, 3, 1), date(2026, 4, 1)),
               Period(date(2026, 3, 2), date(2026, 3, 3)), Period(date(2026, 2, 1), date(2026, 3, 6))]

    def order(found):
        return sorted(found, key=lambda s: (tuple(map(str, s.key)), str(s.model), str(s.token_kind)))

    def check() -> None:
        with connect() as conn:
            for current, previous in zip(periods, periods[1:] + periods[:1], strict=True):
                for team_id, by in ((None, ("team_id",)), (search, ("model",))):
                    read = page_segments(conn, current, previous, by, team_id=team_id)
                    assert read.previous and read.current
                    assert order(read.previous) == order(segments(conn, previous, by, team_id=team_id)), previous
                    assert order(read.current) == order(segments(conn, current, by, team_id=team_id)), current
                    assert [repr(s.cost) for s in order(read.current)] == [
                        repr(s.cost) for s in order(segments(conn, current, by, team_id=team_id))]

    check()
    # a rerun that loses 1 March for growth: March's sums of every later day change, February's stay
    kept = dict(db.execute("SELECT usage_date, xmin::text FROM finops.usage_model_mtd WHERE team_id = %s "
                           "AND usage_date < '2026-03-01' AND model = %s AND token_kind = 'input'",
                           (growth, MODEL)).fetchall())
    rest = [d for d in days if d != date(2026, 3, 1)]
    load(growth, costs("1", rest), usage_of(1, rest), window=window)
    assert_rollups_equal_cost_data(db)
    assert dict(db.execute("SELECT usage_date, xmin::text FROM finops.usage_model_mtd WHERE team_id = %s "
                           "AND usage_date < '2026-03-01' AND model = %s AND token_kind = 'input'",
                           (growth, MODEL)).fetchall()) == kept  # unchanged rows are not written again
    check()
    # a window that starts within the month (3 to 4 March, other amounts and tokens): the sums from 3 March change,
    # 2 March's rows (and before) are not written again
    before = dict(db.execute("SELECT usage_date, xmin::text FROM finops.usage_model_mtd WHERE team_id = %s "
                             "AND usage_date < '2026-03-03' AND model = %s AND token_kind = 'input'",
                             (growth, MODEL)).fetchall())
    late = [date(2026, 3, 3), date(2026, 3, 4)]
    load(growth, costs("7", late), usage_of(9, late), window=Window(late[0], late[-1] + timedelta(days=1)))
    assert_rollups_equal_cost_data(db)
    assert dict(db.execute("SELECT usage_date, xmin::text FROM finops.usage_model_mtd WHERE team_id = %s "
                           "AND usage_date < '2026-03-03' AND model = %s AND token_kind = 'input'",
                           (growth, MODEL)).fetchall()) == before
    check()
    # the migration's fill (and --rebuild-rollups) from usage_model_daily gives the same table
    expected = sorted(db.execute(EXPECTED["usage_model_mtd"][1]).fetchall(), key=repr)
    with connect() as conn:
        rollups.rebuild_usage_mtd(conn)
    assert sorted(db.execute(EXPECTED["usage_model_mtd"][1]).fetchall(), key=repr) == expected
    assert_rollups_equal_cost_data(db)

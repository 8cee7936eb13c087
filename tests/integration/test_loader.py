"""Atomic window replace on the real PostgreSQL: reruns replace, crashes and bad pages change nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from finops.costs.models import CostRow
from finops.warehouse.loader import DropGuard, DuplicateCostRow, SettledCostsDropped, Window, replace_window

WINDOW = Window(date(2026, 3, 1), date(2026, 3, 4))


def rows(scale: str = "1", days: int = 3) -> list[CostRow]:
    out = []
    for d in range(days):
        for p in ("proj_a", "proj_b"):
            for item in ("gpt-4o, input", "gpt-4o, output"):
                out.append(CostRow(WINDOW.start + timedelta(days=d), p, item, "usd",
                                   Decimal(scale) * Decimal("0.13080438340307526"), Decimal(1000), "tokens", "org-x"))
    return out


def snapshot(db):
    return db.execute(
        "SELECT team_id, usage_date, project_id, line_item, currency, amount FROM finops.cost_data ORDER BY 1, 2, 3, 4"
    ).fetchall()


@pytest.fixture
def team(db):
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('growth', 'Growth', 'test')")
    return "growth"


def load(team_id, data, window=WINDOW):
    return replace_window(team_id, window, iter(data), dag_run_id="test", started_at=datetime.now(UTC))


def test_reload_replaces_the_window_and_keeps_amounts_exact(team, db):
    load(team, rows("1"))
    result = load(team, rows("2"))
    assert result.rows == 12
    amounts = {r[5] for r in snapshot(db)}
    assert amounts == {Decimal("0.26160876680615052")}
    runs = db.execute("SELECT status, rows, amount_total FROM finops.collection_runs ORDER BY run_id").fetchall()
    assert [r[0] for r in runs] == ["success", "success"] and runs[1][2] == Decimal("0.26160876680615052") * 12
    days = db.execute("SELECT usage_date, rows FROM finops.collection_run_days WHERE run_id = %s ORDER BY 1",
                      (result.run_id,)).fetchall()
    assert days == [(WINDOW.start + timedelta(days=i), 4) for i in range(3)]


def test_rows_outside_the_window_are_left_alone(team, db):
    load(team, rows("1", days=3))
    load(team, rows("5", days=1), window=Window(date(2026, 3, 1), date(2026, 3, 2)))
    by_day = {(r[1], r[5]) for r in snapshot(db)}
    assert (date(2026, 3, 1), Decimal(5) * Decimal("0.13080438340307526")) in by_day
    assert (date(2026, 3, 2), Decimal("0.13080438340307526")) in by_day


def test_duplicate_rows_from_the_api_change_nothing(team, db):
    load(team, rows("1"))
    before = snapshot(db)
    with pytest.raises(DuplicateCostRow, match="twice"):
        load(team, rows("3") + rows("3")[:1])
    assert snapshot(db) == before


def test_a_failing_page_midway_rolls_back(team, db):
    load(team, rows("1"))
    before = snapshot(db)

    def broken():
        yield from rows("7")[:5]
        raise ConnectionError("the API went away")

    with pytest.raises(ConnectionError):
        load(team, list_then(broken()))
    assert snapshot(db) == before


def list_then(gen):
    yield from gen


KILLED_LOADER = r"""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from finops.costs.models import CostRow
from finops.warehouse.loader import Window, replace_window

rows = [CostRow(date(2026, 3, 1) + timedelta(days=d), "proj_a", "gpt-4o, input", "usd", Decimal(99), None, None, None)
        for d in range(3)]
replace_window("growth", Window(date(2026, 3, 1), date(2026, 3, 4)), iter(rows), dag_run_id="killed",
               started_at=datetime.now(UTC))
"""


def wait_for_lock_wait(db, application_name: str = "finops", timeout: float = 60) -> int:
    """The pid of a ``finops`` session waiting on a lock (polled from pg_stat_activity)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # This database only: the other test sessions (make test runs three) load teams of their own.
        row = db.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock' "
                         "AND datname = current_database()", (application_name,)).fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("no finops session waited on a lock")


def test_a_loader_killed_between_delete_and_commit_leaves_the_previous_rows(team, db, warehouse):
    import psycopg

    load(team, rows("1"))
    before = snapshot(db)
    # Another session holds collection_run_days, so the loader stops after its DELETE and COPY, before commit.
    with psycopg.connect(warehouse) as blocker:
        blocker.execute("LOCK TABLE finops.collection_run_days IN ACCESS EXCLUSIVE MODE")
        child = subprocess.Popen([sys.executable, "-c", KILLED_LOADER], env=os.environ.copy())
        try:
            pid = wait_for_lock_wait(db)
            assert snapshot(db) == before  # other sessions still see the old rows
            deleted = db.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND relation = "
                                 "'finops.cost_data'::regclass AND mode = 'RowExclusiveLock'", (pid,)).fetchone()[0]
            assert deleted == 1  # the loader has written to cost_data in its open transaction
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
        blocker.rollback()
    assert snapshot(db) == before
    assert db.execute("SELECT count(*) FROM finops.collection_runs WHERE dag_run_id = 'killed'").fetchone()[0] == 0
    load(team, rows("4"))  # the team's lock was released with the dead session
    assert {r[5] for r in snapshot(db)} == {Decimal(4) * Decimal("0.13080438340307526")}


def test_no_transaction_or_lock_is_held_while_the_api_is_read(team, db):
    """Item 1 of issue 18: the stream (API pages, retries, waits) is read before the transaction begins."""
    load(team, rows("1"))
    seen = []

    def slow_api():
        data = rows("2")
        yield from data[:6]
        # Midway through the API's answer, as during a retry's wait: the team is not locked, no
        # finops session is inside a transaction, and another load of the team goes through.
        seen.append(db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'finops' AND xact_start IS NOT NULL "
            "AND datname = current_database()"
        ).fetchone()[0])
        # In this database: the other test sessions, and Airflow's own migrations, take advisory locks too.
        seen.append(db.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                               "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()[0])
        other = load(team, rows("3"))
        seen.append(other.rows)
        yield from data[6:]

    result = load(team, slow_api())
    assert seen == [0, 0, 12]
    assert result.rows == 12 and result.transaction_seconds > 0
    assert {r[5] for r in snapshot(db)} == {Decimal(2) * Decimal("0.13080438340307526")}  # the last to commit wins
    # Reconciliation's "latest run" is the last committed, although its id was taken first.
    latest = db.execute("SELECT run_id FROM finops.collection_runs ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
    assert latest == result.run_id
    assert db.execute("SELECT DISTINCT collection_run_id FROM finops.cost_data").fetchall() == [(result.run_id,)]


def test_finished_at_is_when_the_load_committed_not_when_its_transaction_began(team, db, warehouse):
    """Item 5 of issue 18: finished_at uses clock_timestamp(), not now()."""
    import psycopg

    outcome = []
    with psycopg.connect(warehouse) as blocker:
        blocker.execute("SELECT pg_advisory_xact_lock(hashtext('finops.cost_data:openai'), hashtext('growth'))")
        thread = threading.Thread(target=lambda: outcome.append(load(team, rows("1"))))
        thread.start()
        wait_for_lock_wait(db)  # the loader's transaction has begun and waits for the team's lock
        released_at = blocker.execute("SELECT clock_timestamp()").fetchone()[0]
        blocker.commit()
        thread.join(timeout=60)
    (result,) = outcome
    finished_at = db.execute("SELECT finished_at FROM finops.collection_runs WHERE run_id = %s",
                             (result.run_id,)).fetchone()[0]
    assert finished_at > released_at


def test_rows_of_another_provider_are_left_alone(team, db):
    load(team, rows("1"))
    db.execute("UPDATE finops.cost_data SET provider = 'anthropic' WHERE project_id = 'proj_a'")
    load(team, rows("2"))
    by_provider = db.execute("SELECT provider, count(*), sum(amount) FROM finops.cost_data GROUP BY 1 ORDER BY 1").fetchall()
    assert by_provider == [("anthropic", 6, Decimal(6) * Decimal("0.13080438340307526")),
                           ("openai", 12, Decimal(24) * Decimal("0.13080438340307526"))]


# -- the drop guard (item 2 of issue 18) --------------------------------------------------------
GUARD = DropGuard(settled_before=date(2026, 3, 3), max_drop=Decimal("0.5"))


def guarded(team_id, data, guard=GUARD):
    return replace_window(team_id, WINDOW, iter(data), dag_run_id="test", started_at=datetime.now(UTC), guard=guard)


def test_an_empty_answer_for_settled_days_fails_and_keeps_the_rows(team, db):
    load(team, rows("1"))
    before = snapshot(db)
    runs_before = db.execute("SELECT count(*) FROM finops.collection_runs").fetchone()[0]
    with pytest.raises(SettledCostsDropped) as excinfo:
        guarded(team, [])
    day_total = Decimal(4) * Decimal("0.13080438340307526")
    message = str(excinfo.value)
    # Mar 1 and 2 are settled; Mar 3 (not yet settled) may change freely and is not named.
    assert f"2026-03-01 usd {day_total} -> 0" in message and f"2026-03-02 usd {day_total} -> 0" in message
    assert "2026-03-03" not in message and "allow_drops" in message and message.count(".") <= 6
    assert snapshot(db) == before
    assert db.execute("SELECT count(*) FROM finops.collection_runs").fetchone()[0] == runs_before


def test_a_drop_within_the_threshold_or_of_unsettled_days_loads(team, db):
    load(team, rows("1"))
    smaller = [r._replace(amount=r.amount * Decimal("0.6")) for r in rows("1")]  # -40 % on every day
    unsettled_gone = [r for r in smaller if r.usage_date < date(2026, 3, 3)]  # and Mar 3 empty
    result = guarded(team, unsettled_gone)
    assert result.rows == 8
    assert len(snapshot(db)) == 8


def test_the_guard_compares_with_the_latest_load_even_when_it_recorded_nothing(team, db):
    load(team, rows("1"))
    guarded(team, [], guard=None)  # a deliberate drop (allow_drops): the days are now empty
    assert guarded(team, []).rows == 0  # nothing left to drop from
    assert snapshot(db) == []


def test_no_guard_accepts_any_drop(team, db):
    load(team, rows("1"))
    assert guarded(team, rows("1")[:2], guard=None).rows == 2


def test_overlapping_loads_of_one_team_serialise(team, db):
    results, errors = [], []

    def run(scale):
        try:
            results.append(load(team, rows(scale)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in ("2", "3", "2", "3")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    final = snapshot(db)
    assert len(final) == 12 and len({r[5] for r in final}) == 1  # one complete load, never a mix


def test_kept_connections_survive_a_failed_load_and_a_server_closed_connection(team, db):
    from finops.warehouse.db import KeptConnections

    def kept_load(kept, data):
        return replace_window(team, WINDOW, iter(data), dag_run_id="test", started_at=datetime.now(UTC),
                              connections=kept)

    def backend_pid(kept):
        with kept.transaction() as conn:
            return conn.info.backend_pid

    with KeptConnections() as kept:
        kept_load(kept, rows("1"))
        first = backend_pid(kept)
        with pytest.raises(DuplicateCostRow):
            kept_load(kept, rows("2") + rows("2")[:1])
        # the failed load was rolled back on the same connection, which serves the next load
        assert snapshot(db) == [(team, r.usage_date, r.project_id, r.line_item, "usd", r.amount)
                                for r in sorted(rows("1"), key=lambda r: (r.usage_date, r.project_id, r.line_item))]
        kept_load(kept, rows("3"))
        assert backend_pid(kept) == first
        # the server ends the idle connection (a restart, an idle timeout): the next load opens another one
        assert db.execute("SELECT pg_terminate_backend(%s, 10000)", (first,)).fetchone()[0] is True
        result = kept_load(kept, rows("4"))
        assert backend_pid(kept) != first
    assert result.rows == 12 and {r[5] for r in snapshot(db)} == {Decimal(4) * Decimal("0.13080438340307526")}
    assert db.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (first,)).fetchone()[0] == 0


@pytest.mark.parametrize("needs_quotes", [False, True], ids=["plain", "quoted"])
def test_every_usage_value_comes_back_as_given(team, db, needs_quotes):
    """The usage rows are formatted before the transaction as the costs' spool is (finops.usage.load): quotes, tabs,
    newlines, backslashes, the text None, unicode, big counts, flags and exact quantities come back as given, with
    the run's columns; rows outside the window are left out."""
    from finops.usage.load import UsageLoad
    from finops.usage.models import UsageRow

    tricky = ["None", "héllo ✓", "NULL", "", " ", "x,y;z"]  # one % a row (repr's ' quotes)
    if needs_quotes:  # repr would quote these with " or escape them: the rows are formatted field by field instead
        tricky += ["it's", "''", "'None'", 'say "hi"', "back\\slash", "\\N", "tab\there", "new\nline"]
    day = WINDOW.start
    usage = [UsageRow(day, "proj_plain", "completions", None, "gpt-4o", None, None, None, None, 5, 0, 0, None, None, 7),
             UsageRow(day, "proj_plain", "images", "key_1", "dall-e-3", "default", True, "200k", 2**40, 2**62, 3, 9, 4,
                      5, 6, 1, 2, Decimal("12345678901234567890.123456789"), "images"),
             UsageRow(WINDOW.end, "proj_plain", "completions", None, "outside", None, None, None, 1)]
    usage += [UsageRow(day + timedelta(days=1), text, f"endpoint {n}", text, text, text, False, text, n,
                       quantity=Decimal("1E-20"), quantity_unit=text) for n, text in enumerate(tricky)]
    result = replace_window(team, WINDOW, rows(), dag_run_id="test", started_at=datetime.now(UTC),
                            usage=UsageLoad(usage))
    stored = db.execute(
        "SELECT usage_date, project_id, endpoint, api_key_id, model, service_tier, batch, context_window, requests,"
        " input_tokens, cache_read_tokens, cache_write_tokens, cache_write_5m_tokens, cache_write_1h_tokens,"
        " output_tokens, input_audio_tokens, output_audio_tokens, quantity, quantity_unit"
        " FROM finops.usage_data WHERE team_id = %s", (team,)).fetchall()
    assert sorted(map(tuple, stored), key=repr) == sorted((tuple(r) for r in usage if r.usage_date < WINDOW.end), key=repr)
    assert db.execute("SELECT DISTINCT provider::text, dag_run_id, collection_run_id FROM finops.usage_data "
                      "WHERE team_id = %s", (team,)).fetchall() == [("openai", "test", result.run_id)]


@pytest.mark.parametrize("chunk_rows", [2, 10_000])
def test_every_value_comes_back_as_given(team, db, monkeypatch, chunk_rows):
    """The spool's CSV: quotes, tabs, newlines, backslashes, the text None, unicode and exponents come back exact,
    in a chunk of plain rows and in one of rows needing quotes (and across chunks)."""
    from finops.warehouse import loader

    monkeypatch.setattr(loader, "SPOOL_CHUNK_ROWS", chunk_rows)
    day = WINDOW.start
    tricky = ["None", "it's", 'say "hi"', "tab\there", "new\nline", "back\\slash", "cr\rlf", "héllo ✓", "''", "\\N",
              "NULL", "", " ", "a\\.b", "'None'", "x,y;z"]
    data = [CostRow(day, "proj_plain", "gpt-4o, input", "usd", Decimal("1E-30"), None, None, None),
            CostRow(day, "proj_plain", "gpt-4o, output", "usd", Decimal("12345678901234567890.123456789012345678901"),
                    Decimal("1E+3"), "tokens", "org-x", api_key_id="key_1", allocated=True)]
    data += [CostRow(day + timedelta(days=1), text, f"item {n}", "usd", Decimal(n), Decimal(n), text, text,
                     model=text, token_type=text, cost_type=None, service_tier=text, context_window=text,
                     inference_geo=text, api_key_id=text) for n, text in enumerate(tricky)]
    result = load(team, data)
    assert result.rows == len(data)
    stored = db.execute(
        "SELECT usage_date, project_id, line_item, currency, amount, quantity, quantity_unit, organization_id, model,"
        " token_type, cost_type, service_tier, context_window, inference_geo, api_key_id, allocated"
        " FROM finops.cost_data WHERE team_id = %s", (team,)).fetchall()
    assert sorted(map(tuple, stored), key=repr) == sorted(map(tuple, data), key=repr)
    (total,) = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = %s", (team,)).fetchone()
    assert result.amount_total == total
    run = db.execute("SELECT dag_run_id, collection_run_id FROM finops.cost_data WHERE team_id = %s LIMIT 1",
                     (team,)).fetchone()
    assert run == ("test", result.run_id)

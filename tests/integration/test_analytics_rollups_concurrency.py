"""A recompute (rebuild, re-parse, repair) overlapping a collection: a real load commits before each statement of
the recompute, on its own connection, and at every such point the rollups end equal to a GROUP BY of cost_data.

The recompute runs on a connection that stops before each statement it sends (and before its commit) and lets the
test run a load there; a load the recompute's lock holds back is seen waiting on it in ``pg_blocking_pids`` (no
sleep), and finishes once the recompute commits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from test_analytics_rollups import (
    ITEMS,
    ROLLUPS_TRUNCATE,
    WINDOW,
    assert_rollups_equal_cost_data,
    load,
    pending,
    rows,
)

from finops.analytics import rollups
from finops.analytics.line_items import PARSER_VERSION
from finops.warehouse.db import KeptConnections, connect
from finops.warehouse.loader import replace_window

#: A line item no load has brought before: the concurrent load's batch (or the recompute) has to store it.
NEW_ITEM = "gpt-5-2026-01-15, output"
#: How long a load may take to either commit or be seen waiting on the recompute before the test fails.
DEADLINE_SECONDS = 60


class SteppedConnection:
    """A psycopg connection that calls ``before(step)`` before each statement it sends and before its commit."""

    def __init__(self, conn: psycopg.Connection, before: Callable[[int], None]) -> None:
        self._conn, self._before, self.steps = conn, before, 0

    def _step(self) -> None:
        step, self.steps = self.steps, self.steps + 1
        self._before(step)

    def execute(self, *args, **kwargs):
        self._step()
        return self._conn.execute(*args, **kwargs)

    def cursor(self, *args, **kwargs):
        return _SteppedCursor(self._conn.cursor(*args, **kwargs), self._step)

    def commit(self) -> None:
        self._step()
        self._conn.commit()

    def __getattr__(self, name):
        return getattr(self._conn, name)


class _SteppedCursor:
    def __init__(self, cur: psycopg.Cursor, step: Callable[[], None]) -> None:
        self._cur, self._step = cur, step

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._cur.close()

    def execute(self, *args, **kwargs):
        self._step()
        return self._cur.execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        self._step()
        return self._cur.executemany(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cur, name)


def _stale_dimensions(db) -> None:
    """As if an older parser had got one line item wrong: a re-parse has work to do."""
    db.execute("UPDATE finops.line_items SET model = NULL, model_family = NULL, token_kind = NULL, "
               "cost_kind = 'other', recognized = false WHERE line_item = %s", (ITEMS[0],))
    db.execute("TRUNCATE finops.spend_project_daily, finops.spend_project_monthly, finops.spend_model_daily")
    with connect() as conn:
        rollups.rebuild(conn)


RECOMPUTES: dict[str, tuple[Callable[[psycopg.Connection], object], Callable | None]] = {
    "rebuild": (rollups.rebuild, None),
    "reparse": (rollups.reparse, _stale_dimensions),
    "refresh": (lambda conn: rollups.refresh_rollups(conn, "openai", "search", WINDOW.start, WINDOW.end), None),
}


def _collection_load(team_id: str, connections: KeptConnections, batch: rollups.RollupBatch) -> None:
    """A collect_team load of a window that brings a line item never seen, drops one and changes the rest."""
    data = rows("7", items=(*ITEMS[1:], NEW_ITEM))
    replace_window(team_id, WINDOW, iter(data), dag_run_id="concurrent", started_at=datetime.now(UTC),
                   connections=connections, rollups=batch)


def _blocked_by(monitor: psycopg.Connection, pid: int) -> bool:
    """Whether some backend waits on a lock the recompute's backend ``pid`` holds."""
    return monitor.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY (pg_blocking_pids(pid))",
                           (pid,)).fetchone()[0] > 0


def _run_interleaved(recompute: Callable, at_step: int, flush_at_once: bool, warehouse: str) -> tuple[int, bool]:
    """Run ``recompute`` with a collection load started before its statement ``at_step``; returns its steps and
    whether the load was seen waiting on it.

    The load (and, with ``flush_at_once``, its batch) runs in a thread: it either commits before the recompute
    goes on, or is seen waiting on the recompute's lock and finishes after its commit. Without ``flush_at_once``
    the batch is applied after both, as a collect_team task's later batch would be.
    """
    errors: list[BaseException] = []
    ran, waited = threading.Event(), threading.Event()
    with KeptConnections() as connections, psycopg.connect(warehouse, autocommit=True) as monitor:
        batch = rollups.RollupBatch(connections, size=100)
        loader = threading.Thread(target=lambda: _guarded(errors, lambda: (
            _collection_load("growth", connections, batch), flush_at_once and batch.flush())))

        with connect() as raw:
            pid = raw.info.backend_pid

            def before(step: int) -> None:
                if step != at_step:
                    return
                ran.set()
                loader.start()
                deadline = time.monotonic() + DEADLINE_SECONDS
                while loader.is_alive() and not _blocked_by(monitor, pid):
                    loader.join(0.01)  # the load commits, or waits on our lock: either is seen here
                    assert time.monotonic() < deadline, "the load neither committed nor waited on the recompute"
                if loader.is_alive():
                    waited.set()

            stepped = SteppedConnection(raw, before)
            recompute(stepped)
            stepped.commit()
            steps = stepped.steps
        if not ran.is_set():  # after the recompute's commit
            ran.set()
            loader.start()
        loader.join()
        assert errors == []
        batch.flush()  # the task's end: applies the load's change unless a recompute claimed it
    return steps, waited.is_set()


def _guarded(errors: list[BaseException], work: Callable[[], object]) -> None:
    try:
        work()
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


@pytest.fixture
def collected(db):
    for team in ("growth", "search"):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team, team))
    _prepare(db, None)
    return db


def _prepare(db, prepare: Callable | None) -> None:
    """Two teams' windows loaded, rollups equal to cost_data."""
    db.execute("TRUNCATE finops.cost_data, finops.usage_data, finops.collection_run_days, finops.collection_runs CASCADE")
    db.execute(ROLLUPS_TRUNCATE)
    load("growth", rows("1"))
    load("search", rows("2"))
    if prepare:
        prepare(db)
    assert_rollups_equal_cost_data(db)


@pytest.mark.parametrize(("name", "flush_at_once"), [
    ("rebuild", True), ("rebuild", False), ("reparse", False), ("refresh", False),
], ids=["rebuild-batch-at-once", "rebuild-batch-after", "reparse-batch-after", "refresh-batch-after"])
def test_a_load_committing_at_each_step_of_a_recompute_leaves_rollups_equal_to_cost_data(
        collected, warehouse, name, flush_at_once):
    recompute, prepare = RECOMPUTES[name]
    db = collected
    step, steps, outcomes = 0, None, set()
    while steps is None or step <= steps:  # every statement of the recompute, its commit, and after it
        _prepare(db, prepare)
        took, waited = _run_interleaved(recompute, step, flush_at_once, warehouse)
        outcomes.add(waited)
        steps = took if steps is None else max(steps, took)
        assert pending(db) == [], f"step {step}"
        assert db.execute("SELECT count(*) FROM finops.line_items WHERE line_item = %s",
                          (NEW_ITEM,)).fetchone()[0] == 1, f"step {step}: the new line item was never stored"
        try:
            assert_rollups_equal_cost_data(db)
        except AssertionError as exc:
            raise AssertionError(f"{name}, load before step {step} of {steps}: {exc}") from None
        step += 1
    assert steps >= 4  # the recompute was really interleaved at several points
    assert outcomes == {True, False}  # loads committed before it, and loads waited on its lock


def _model_total(db) -> Decimal:
    return db.execute("SELECT coalesce(sum(amount), 0) FROM finops.spend_model_daily").fetchone()[0]


def test_a_line_item_missing_for_any_reason_is_repaired_by_reparse(collected):
    db = collected
    # The state the overlapping rebuild left: cost rows whose line item has no dimensions, counted nowhere.
    db.execute("DELETE FROM finops.line_items WHERE line_item = %s", (ITEMS[0],))
    with connect() as conn:
        conn.execute(rollups.paths.sql("analytics/rebuild"))
        conn.execute(rollups.paths.sql("analytics/rebuild_monthly"))
    cost_total = db.execute("SELECT sum(amount) FROM finops.cost_data").fetchone()[0]
    assert _model_total(db) != cost_total
    with connect() as conn:
        result = rollups.reparse(conn)
    assert (result.missing, result.days) == (1, 3)
    assert db.execute("SELECT parser_version FROM finops.line_items WHERE line_item = %s",
                      (ITEMS[0],)).fetchone() == (PARSER_VERSION,)
    assert _model_total(db) == cost_total
    assert_rollups_equal_cost_data(db)
    with connect() as conn:
        again = rollups.reparse(conn)
    assert (again.changed, again.missing, again.days) == (0, 0, 0)


def test_a_line_item_missing_for_any_reason_is_repaired_by_the_next_collection_load(collected):
    db = collected
    db.execute("DELETE FROM finops.line_items WHERE line_item = %s", (ITEMS[0],))
    with connect() as conn:  # rollups computed without it: its rows counted nowhere
        conn.execute(rollups.paths.sql("analytics/rebuild"))
        conn.execute(rollups.paths.sql("analytics/rebuild_monthly"))
    with KeptConnections() as connections:
        batch = rollups.RollupBatch(connections, size=10)
        # The next load of one team brings the item again, with other amounts (its change alone would be a delta
        # onto rows the model rollup never counted) and a new item beside it.
        replace_window("search", WINDOW, iter(rows("5", items=(ITEMS[0], ITEMS[1], NEW_ITEM))),
                       dag_run_id="next", started_at=datetime.now(UTC), connections=connections, rollups=batch)
        batch.flush()
    assert batch.applied == 1 and pending(db) == []
    assert db.execute("SELECT sum(amount) FROM finops.spend_model_daily").fetchone()[0] == db.execute(
        "SELECT sum(amount) FROM finops.cost_data").fetchone()[0]
    assert_rollups_equal_cost_data(db)
    # Items all stored now: the next batch applies its change as a delta, and the rollups stay equal.
    with KeptConnections() as connections:
        batch = rollups.RollupBatch(connections, size=10)
        replace_window("growth", WINDOW, iter(rows("6", items=(ITEMS[0], NEW_ITEM))), dag_run_id="later",
                       started_at=datetime.now(UTC), connections=connections, rollups=batch)
        batch.flush()
    assert batch.applied == 1
    assert_rollups_equal_cost_data(db)

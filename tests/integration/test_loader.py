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
from finops.warehouse.loader import DuplicateCostRow, Window, replace_window

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
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from finops.costs.models import CostRow
from finops.warehouse.loader import Window, replace_window

def rows():
    for d in range(3):
        yield CostRow(date(2026, 3, 1) + timedelta(days=d), "proj_a", "gpt-4o, input", "usd", Decimal(99), None, None, None)
    print("LOADING", flush=True)   # the window's rows are deleted and new ones copied, nothing committed
    sys.stdin.readline()           # wait here until the test kills us
    yield CostRow(date(2026, 3, 1), "proj_b", "x", "usd", Decimal(1), None, None, None)

replace_window("growth", Window(date(2026, 3, 1), date(2026, 3, 4)), rows(), dag_run_id="killed",
               started_at=datetime.now(UTC))
"""


def test_a_loader_killed_between_delete_and_commit_leaves_the_previous_rows(team, db):
    load(team, rows("1"))
    before = snapshot(db)
    child = subprocess.Popen([sys.executable, "-c", KILLED_LOADER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, env=os.environ.copy())
    try:
        assert child.stdout.readline().strip() == "LOADING"
        assert snapshot(db) == before  # other sessions still see the old rows
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert snapshot(db) == before
    assert db.execute("SELECT count(*) FROM finops.collection_runs WHERE dag_run_id = 'killed'").fetchone()[0] == 0
    load(team, rows("4"))  # the team's lock was released with the dead session
    assert {r[5] for r in snapshot(db)} == {Decimal(4) * Decimal("0.13080438340307526")}


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

"""A page's side reads run on their own connections in the page's snapshot (finops.warehouse.snapshot)."""

from __future__ import annotations

import threading

import psycopg
import pytest

from finops.warehouse.snapshot import snapshot_reads

COUNT = "SELECT count(*) FROM finops.teams"


def _add_team(db, team_id: str) -> None:
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 'test')", (team_id, team_id))


def test_side_reads_see_the_page_snapshot_not_a_load_committed_meanwhile(db):
    _add_team(db, "before")
    with snapshot_reads() as reads:
        assert reads.conn.execute(COUNT).fetchone()[0] == 1
        _add_team(db, "meanwhile")  # autocommit: committed while the page is being read
        side = reads.submit(lambda conn: (conn.execute(COUNT).fetchone()[0], threading.current_thread().name,
                                          conn.info.backend_pid))
        seen, thread, pid = side.result()
        assert seen == 1  # the page's snapshot: the team committed after it began is not there
        assert reads.conn.execute(COUNT).fetchone()[0] == 1
        assert thread != threading.current_thread().name and pid != reads.conn.info.backend_pid
    assert db.execute(COUNT).fetchone()[0] == 2  # a new statement on the autocommit connection: a new snapshot


def test_a_side_read_s_error_reaches_the_page_and_the_page_writes_nothing(db):
    with snapshot_reads() as reads:
        failing = reads.submit(lambda conn: conn.execute("SELECT 1/0"))
        with pytest.raises(psycopg.errors.DivisionByZero):
            failing.result()
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reads.conn.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('x', 'x', 'test')")
    with snapshot_reads() as reads:
        side_write = reads.submit(lambda conn: conn.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('y', 'y', 'test')"))
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            side_write.result()
    assert db.execute(COUNT).fetchone()[0] == 0

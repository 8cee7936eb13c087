"""Every warehouse session works in UTC, on a server whose time zone is America/New_York (item 6 of issue 18)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest

from finops.cli import main
from finops.registry import Registry
from finops.warehouse.db import connect

#: 03:30 UTC on March 2 is 22:30 on March 1 in New York: a wrong zone shows another hour and day.
FINISHED = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)


@pytest.fixture
def new_york_server(db, warehouse):
    """The test database with timezone America/New_York for every new session; reset afterwards."""
    dbname = psycopg.conninfo.conninfo_to_dict(warehouse)["dbname"]
    db.execute(f'ALTER DATABASE "{dbname}" SET timezone = \'America/New_York\'')
    try:
        with psycopg.connect(warehouse) as plain:  # a session without the project's options
            assert plain.execute("SHOW timezone").fetchone()[0] == "America/New_York"
        yield db
    finally:
        db.execute(f'ALTER DATABASE "{dbname}" RESET timezone')


def test_project_sessions_are_utc(new_york_server):
    with connect() as conn:
        assert conn.execute("SHOW timezone").fetchone()[0] == "UTC"
        assert conn.execute("SELECT %s::timestamptz::date", (FINISHED,)).fetchone()[0] == date(2026, 3, 2)


def test_the_page_and_the_cli_show_utc_times(new_york_server, capsys):
    from finops.web.overview import build_overview

    db = new_york_server
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('growth', 'Growth', 'test')")
    db.execute("INSERT INTO finops.projects (team_id, project_id, created_by, verified_at) "
               "VALUES ('growth', 'proj_web', 'test', %s)", (FINISHED,))
    db.execute("INSERT INTO finops.collection_runs (team_id, window_start, window_end, status, error, started_at, "
               "finished_at) VALUES ('growth', '2026-02-27', '2026-02-28', 'failed', 'API unavailable', %s, %s)",
               (FINISHED, FINISHED))

    overview = build_overview(Registry(), can_manage=True, today=date(2026, 3, 2))
    (team,) = overview.teams
    failed = next(d for d in team.collection if d.state == "failed")
    assert "attempt finished 2026-03-02 03:30 UTC" in failed.detail

    assert main(["projects", "list", "growth"]) == 0
    assert "2026-03-02 03:30" in capsys.readouterr().out

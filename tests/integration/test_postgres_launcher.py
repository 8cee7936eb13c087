"""The embedded PostgreSQL launcher: idempotent start, stop, recovery after a crash, clear refusals."""

from __future__ import annotations

import os
import signal
import socket

import psycopg
import pytest

from finops.devenv import postgres
from finops.devenv.postgres import Cluster, PostgresLauncherError, free_port


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(root=tmp_path / "pg", port=free_port(), databases=("airflow", "finops"))
    yield c
    c.stop()


def test_start_twice_is_a_no_op_then_stop(cluster):
    assert cluster.start() is True
    pid = cluster.running_pid()
    assert cluster.start() is False and cluster.running_pid() == pid
    with psycopg.connect(cluster.url("postgres")) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert {"airflow", "finops"} <= names
    assert "running" in cluster.status()
    assert cluster.stop() is True
    assert cluster.stop() is False
    assert "stopped" in cluster.status()


def test_settings_apply_to_that_start_and_the_bench_reads_statement_times_with_them(cluster):
    """The bench starts the server with pg_stat_statements (finops.bench.explain) and prints a run's statements."""
    from finops.bench import explain

    cluster.start(settings=explain.SERVER_SETTINGS)
    url = cluster.url("finops")
    with psycopg.connect(url) as conn:
        assert conn.execute("SHOW shared_preload_libraries").fetchone() == ("pg_stat_statements",)
    assert explain.statements_reset(url) is True
    with psycopg.connect(url) as conn:
        conn.execute("SELECT count(*) FROM generate_series(1, 200000) AS marker_series").fetchone()
    found = explain.top_statements(url)
    mine = [s for s in found if "marker_series" in s.query]
    assert [(s.database, s.calls, s.rows) for s in mine] == [("finops", 1, 1)] and mine[0].total_ms > 0
    assert any("marker_series" in line for line in explain.statements_table(found))
    cluster.stop()
    cluster.start()  # the settings were for that start only
    assert explain.statements_reset(url) is False
    assert "not measured" in explain.statements_table([])[0]


def test_start_after_a_killed_server_recovers_and_keeps_data(cluster):
    cluster.start()
    with psycopg.connect(cluster.url("finops"), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    os.kill(cluster.running_pid(), signal.SIGKILL)
    assert cluster.start() is True  # the stale pid file is recovered from, not an error
    with psycopg.connect(cluster.url("finops")) as conn:
        assert conn.execute("SELECT x FROM kept").fetchone() == (42,)


def test_a_taken_port_is_refused_with_what_to_do(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        cluster = Cluster(root=tmp_path / "pg", port=port)
        with pytest.raises(PostgresLauncherError, match=f"Port {port} .* already taken .* FINOPS_PG_PORT"):
            cluster.start()
        assert cluster.initialised()  # what was created stays


def test_a_data_folder_from_another_major_version_is_refused(tmp_path):
    cluster = Cluster(root=tmp_path / "pg", port=free_port())
    cluster.data_dir.mkdir(parents=True)
    (cluster.data_dir / "PG_VERSION").write_text("99\n")
    with pytest.raises(PostgresLauncherError, match="created by PostgreSQL 99"):
        cluster.start()
    assert (cluster.data_dir / "PG_VERSION").read_text() == "99\n"  # nothing lost


def test_missing_binaries_say_what_to_install(monkeypatch):
    monkeypatch.delenv("FINOPS_PG_BINDIR", raising=False)
    monkeypatch.setattr(postgres.shutil, "which", lambda name: None)
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: [])
    monkeypatch.setitem(__import__("sys").modules, "pgserver", None)
    with pytest.raises(PostgresLauncherError, match="install Debian's postgresql package"):
        postgres.find_bindir()

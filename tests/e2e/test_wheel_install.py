"""A non-editable install (``pip install .``) runs: the SQL and expectation suites ship inside the wheel.

The wheel is built from a copy of the sources (``pip wheel --no-build-isolation``, nothing
downloaded) and installed with ``--no-deps`` into a fresh virtualenv that sees this venv's
dependencies through a ``.pth`` line but not the editable checkout. With ``FINOPS_PROJECT_DIR``
unset and the working directory elsewhere, ``finops db upgrade`` migrates a fresh database and
``airflow dags test`` collects a team into it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from simulator_fixtures import HEALTHY

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WHEEL_DB = f"{os.environ.get('FINOPS_TEST_DB', 'finops_test')}_wheel"
DAY = date(2026, 3, 10)


def _run(argv: list, **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, argv))} failed:\n{(done.stdout + done.stderr)[-4000:]}"
    return done


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh virtualenv with the project's wheel installed (and this venv's dependencies visible)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in"):
        shutil.copy(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "finops", src / "finops", ignore=skip)
    shutil.copytree(ROOT / "include", src / "include", ignore=skip)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", work / "dist", src])
    (wheel,) = (work / "dist").glob("*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "finops_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([BIN / "uv", "pip", "install", "-q", "--no-deps", "--python", venv / "bin" / "python", wheel])
    return venv


@pytest.fixture
def wheel_db(pg_cluster, warehouse, monkeypatch):
    """A fresh, empty database; ``finops_db`` points at it for this test."""
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{WHEEL_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{WHEEL_DB}"')
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_DB", json.dumps({
        "conn_type": "postgres", "host": pg_cluster.host, "port": pg_cluster.port, "schema": WHEEL_DB,
        "login": pg_cluster.user, "password": pg_cluster.password,
    }))
    from finops import paths

    paths.sql.cache_clear()
    yield pg_cluster.url(WHEEL_DB)


def test_the_installed_wheel_migrates_and_runs_the_dag(wheel_venv, wheel_db, kms_endpoint, simulator, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k not in ("FINOPS_PROJECT_DIR", "PYTHONPATH")}
    env.update({
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(tmp_path / "no-plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1",
    })
    python = wheel_venv / "bin" / "python"
    where = _run([python, "-c", "import finops.paths as p; print(p.__file__); print(p.include_dir())"],
                 env=env, cwd=tmp_path).stdout.split()
    assert where[0].startswith(str(wheel_venv)) and where[1] == str(Path(where[0]).parent / "_include")

    _run([wheel_venv / "bin" / "finops", "db", "upgrade"], env=env, cwd=tmp_path)

    from finops.registry import Registry

    registry = Registry()  # this process, on the database the wheel just migrated
    registry.add_team("growth", "cli:wheel-test")
    registry.register_key("growth", simulator.key(HEALTHY), "cli:wheel-test", verify=False)
    for project_id in simulator.project_ids(HEALTHY):
        registry.add_project("growth", project_id, "cli:wheel-test", verify=False)

    result = subprocess.run([str(python), "-m", "airflow", "dags", "test", "openai_costs_daily", DAY.isoformat()],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    start, end = DAY - timedelta(days=2), DAY
    with psycopg.connect(wheel_db) as conn:
        loaded = {(r[0], r[1], r[2], r[3]): r[4] for r in conn.execute(
            "SELECT usage_date, project_id, line_item, currency, amount FROM finops.cost_data")}
        quality = conn.execute("SELECT teams_total, teams_succeeded FROM finops.success_rates").fetchall()
    expected = {k: v for k, v in simulator.expected(HEALTHY, start, end, simulator.project_ids(HEALTHY)).items()
                if v is not None}
    assert loaded == expected
    assert quality == [(1, 1)]

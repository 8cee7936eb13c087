"""A non-editable install (``pip install .``) runs: the SQL and expectation suites ship inside the wheel.

The wheel is built from a copy of the sources (``pip wheel --no-build-isolation``, nothing
downloaded). Installed with ``--no-deps`` into a fresh virtualenv that sees this venv's dependencies
through a ``.pth`` line but not the editable checkout: with ``FINOPS_PROJECT_DIR`` unset and the
working directory elsewhere, ``finops db upgrade`` migrates a fresh database and ``airflow dags
test`` collects a team into it. Installed alone (its declared dependencies, requirements.txt as
constraints) into a venv that sees nothing else: it imports, ``finops --help`` runs, ``finops db
upgrade`` migrates a database, and moto (the optional ``local`` extra) is not there.
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
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy of the sources."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in"):
        shutil.copy(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "finops", src / "finops", ignore=skip)
    shutil.copytree(ROOT / "include", src / "include", ignore=skip)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", work / "dist", src])
    (built,) = (work / "dist").glob("*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv with the project's wheel installed (and this venv's dependencies visible)."""
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    (site,) = (venv / "lib").glob("python3*/site-packages")
    (site / "finops_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([BIN / "uv", "pip", "install", "-q", "--no-deps", "--python", venv / "bin" / "python", wheel])
    return venv


@pytest.fixture(scope="module")
def standalone_venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv holding only the wheel and what its metadata declares, resolved under the lock
    (requirements.txt as constraints, as Airflow's constraint files are used): nothing from this venv."""
    venv = tmp_path_factory.mktemp("standalone") / "venv"
    _run([BIN / "uv", "venv", "-q", "--python", sys.executable, venv])
    _run([BIN / "uv", "pip", "install", "-q", "--python", venv / "bin" / "python", wheel,
          "-c", ROOT / "requirements.txt"])
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
            "SELECT usage_date, project_id, line_item, currency, sum(amount) FROM finops.cost_data "
            "GROUP BY 1, 2, 3, 4")}  # one row per API key: summed
        quality = conn.execute("SELECT teams_total, teams_succeeded FROM finops.success_rates").fetchall()
    expected = {k: v for k, v in simulator.expected(HEALTHY, start, end, simulator.project_ids(HEALTHY)).items()
                if v is not None}
    assert loaded == expected
    assert quality == [(1, 1)]


def _standalone_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "AIRFLOW__", "VIRTUAL_ENV")) and k not in ("FINOPS_PROJECT_DIR", "PYTHONPATH")}
    env.update({"AIRFLOW_HOME": str(tmp_path / "airflow-home"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    return env


def test_the_wheel_alone_imports_runs_help_and_migrates_a_database(standalone_venv, wheel_db, tmp_path):
    env = _standalone_env(tmp_path)
    python = standalone_venv / "bin" / "python"
    shipped = ("finops.cli", "finops.costs", "finops.costs.anthropic", "finops.registry", "finops.hooks.kms",
               "finops.warehouse.migrate", "finops.quality", "finops.export", "finops.alerts.channels",
               "finops.analytics.report", "finops.web.app", "finops.simulator.server", "finops.pipeline_dag")
    probe = ("import importlib, importlib.util, finops; "
             f"[importlib.import_module(m) for m in {shipped!r}]; "
             "print(finops.__file__); print(importlib.util.find_spec('moto') is None)")
    where, moto_missing = _run([python, "-c", probe], env=env, cwd=tmp_path).stdout.split()[-2:]
    assert where.startswith(str(standalone_venv)) and moto_missing == "True"

    helped = _run([standalone_venv / "bin" / "finops", "--help"], env=env, cwd=tmp_path).stdout
    assert "db" in helped and "keys" in helped and "export" in helped

    _run([standalone_venv / "bin" / "finops", "db", "upgrade"], env=env, cwd=tmp_path)
    current = _run([standalone_venv / "bin" / "finops", "db", "current"], env=env, cwd=tmp_path)
    assert "head" in current.stdout + current.stderr
    with psycopg.connect(wheel_db) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'finops'")}
    assert {"teams", "admin_keys", "cost_data", "collection_runs", "alerts"} <= tables


def test_the_local_tools_say_which_extra_is_missing(standalone_venv, tmp_path):
    """Without the `local` extra, the dev tools that need moto stop with one sentence naming it."""
    probe = ("from finops.devenv.moto import threaded_server_class\n"
             "try:\n    threaded_server_class()\nexcept Exception as exc:\n    print(exc)")
    out = _run([standalone_venv / "bin" / "python", "-c", probe], env=_standalone_env(tmp_path), cwd=tmp_path).stdout
    assert out.strip() == ("moto (the local KMS) is not installed; install the `local` extra: "
                           "pip install 'finops-airflow[local]' (make venv does it).")

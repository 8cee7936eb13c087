"""Everything a plaintext Admin key could leak into after an ``airflow dags test`` run, as one string."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg


def haystack(db, results: list[subprocess.CompletedProcess[str]]) -> str:
    """Command output, task log files, XCom, rendered fields, runs and Airflow's log table, every finops table."""
    chunks = [r.stdout + r.stderr for r in results]
    logs = Path(os.environ["AIRFLOW_HOME"]) / "logs"
    chunks += [p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file()]
    metadata = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("postgresql+psycopg2", "postgresql")
    with psycopg.connect(metadata) as meta:
        for table in ("xcom", "rendered_task_instance_fields", "dag_run", "task_instance", "log"):
            chunks += [r[0] for r in meta.execute(f"SELECT t::text FROM {table} t")]  # noqa: S608 - fixed names
    tables = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'finops'")]
    for table in tables:
        chunks += [r[0] for r in db.execute(f"SELECT t::text FROM finops.{table} t")]  # noqa: S608 - catalog names
    return "\n".join(chunks)

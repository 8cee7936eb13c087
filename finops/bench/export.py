"""The FOCUS export case: one month for 1,000 teams (about 540,000 rows), CSV and Parquet, against a bare
``COPY (SELECT ...) TO STDOUT`` of the same rows into a file; peak memory measured in a child process.

``python -m finops.bench.export child --month YYYY-MM --format F --out DIR``: one export in a fresh
process; the last line printed is JSON (seconds, rows, RSS before and peak).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from finops.bench import Measurement, verdict

MONTH = "2026-09"  # 30 days
TEAMS = 1000
ITEMS_PER_DAY = 18  # 1000 teams x 18 cost rows x 30 days = 540,000 rows
REPEATS = 2
TODAY = date(2026, 11, 30)


def fill(env, log: Callable[[str], None]) -> int:
    """1,000 teams' month of cost rows, amounts with 17 decimals as OpenAI's float noise has (one INSERT .. SELECT)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(env.pg_url) as conn:
        conn.execute("DELETE FROM finops.cost_data WHERE usage_date >= %s AND usage_date < %s",
                     (date(2026, 9, 1), date(2026, 10, 1)))
        conn.execute("INSERT INTO finops.teams (team_id, name, created_by) SELECT 'fexp' || lpad(t::text, 4, '0'), "
                     "'Export team ' || t, 'cli:bench' FROM generate_series(0, %s) t ON CONFLICT DO NOTHING", (TEAMS - 1,))
        conn.execute(
            """INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount,
                                             quantity, quantity_unit, organization_id, collected_at, dag_run_id)
               SELECT 'openai', 'fexp' || lpad(t::text, 4, '0'), date '2026-09-01' + d,
                      'proj_fexp' || lpad(t::text, 4, '0') || 'p' || (i %% 3),
                      'bench-model-' || lpad((i / 2)::text, 2, '0') || CASE WHEN i %% 2 = 0 THEN ', input' ELSE ', output' END,
                      'usd', round((random() * 10)::numeric, 17), 1000 + (t * 7919 + d * 104729 + i) %% 3000000,
                      'tokens', 'org-fexp' || lpad(t::text, 4, '0'), now(), 'bench-export'
               FROM generate_series(0, %s) t, generate_series(0, 29) d, generate_series(0, %s) i""",
            (TEAMS - 1, ITEMS_PER_DAY - 1))
        rows = conn.execute("SELECT count(*) FROM finops.cost_data WHERE usage_date >= %s AND usage_date < %s",
                            (date(2026, 9, 1), date(2026, 10, 1))).fetchone()[0]
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE finops.cost_data")
    log(f"export: {rows:,} cost rows in {MONTH} for {TEAMS} teams, filled in {time.perf_counter() - started:.1f} s")
    return rows


def bare_copy(env, target: Path) -> float:
    """The limit: the mapping's rows by COPY TO STDOUT into a file, nothing else."""
    import psycopg

    from finops.export.months import Month
    from finops.export.source import copy_statement

    month = Month.parse(MONTH)
    started = time.perf_counter()
    with psycopg.connect(env.pg_url) as conn, conn.cursor() as cur, \
            cur.copy(copy_statement("openai"), {"month_start": month.start, "month_end": month.end}) as copy, \
            open(target, "wb") as out:
        for chunk in copy:
            out.write(chunk)
    return time.perf_counter() - started


def case_export(env, args: argparse.Namespace, log: Callable[[str], None]) -> list[Measurement]:
    from finops.bench.cases import run_child

    rows = fill(env, log)
    scratch = env.home / "focus"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    copy_s = min(bare_copy(env, scratch / "bare.csv") for _ in range(REPEATS))
    log(f"export: bare COPY {copy_s:.1f} s ({(scratch / 'bare.csv').stat().st_size / 1e6:.0f} MB)")
    out: list[Measurement] = []
    for fmt in ("csv", "parquet"):
        runs = []
        for _ in range(REPEATS):
            _, done = run_child([env.python(), "-m", "finops.bench.export", "child", "--month", MONTH, "--format", fmt,
                            "--out", str(scratch / "out")], env, log)
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or not lines:
                raise RuntimeError(f"the {fmt} export failed: {(done.stdout + done.stderr)[-400:]}")
            runs.append(json.loads(lines[-1]))
        best = min(runs, key=lambda r: r["seconds"])
        growth_mb = max((r["peak_kb"] - r["baseline_kb"]) / 1024 for r in runs)
        ratio = best["seconds"] / copy_s
        log(f"export {fmt}: {runs}")
        out.append(Measurement(
            f"export: FOCUS {MONTH}, {TEAMS} teams ({best['rows']:,} rows), {fmt}, best of {REPEATS}",
            f"{best['seconds']:.1f} s, +{growth_mb:.0f} MB peak RSS, {best['bytes'] / 1e6:.0f} MB, {best['verdict']}",
            f"bare COPY to a file {copy_s:.1f} s", ratio, "< 60 s, <= 2x COPY, < 200 MB",
            verdict(best["seconds"] < 60 and ratio <= 2 and growth_mb < 200)))
    shutil.rmtree(scratch, ignore_errors=True)
    if rows != TEAMS * ITEMS_PER_DAY * 30:
        log(f"export: expected {TEAMS * ITEMS_PER_DAY * 30:,} rows, found {rows:,}")
    return out


def _child(args: argparse.Namespace) -> dict:
    import gc

    import pyarrow.csv  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from finops.bench.limit import _status_kb
    from finops.export import export_month
    from finops.export.columns import COLUMNS  # noqa: F401  (imports warm before the baseline)
    from finops.export.conformance import Checker  # noqa: F401
    from finops.warehouse.db import connect

    with connect() as conn:  # the connection lookup (Airflow) warm too
        conn.execute("SELECT 1")
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # Linux: reset the peak (VmHWM) to the current RSS
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    results = export_month(args.month, today=TODAY, fmt=args.format, dest=args.out)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": sum(r.report.rows for r in results), "bytes": sum(r.bytes for r in results),
            "baseline_kb": before, "peak_kb": _status_kb("VmHWM"),
            "verdict": "PASSED" if all(r.report.ok for r in results) else "FAILED"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m finops.bench.export")
    parser.add_argument("mode", choices=["child"])
    parser.add_argument("--month", required=True)
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--out", required=True)
    print(json.dumps(_child(parser.parse_args(argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

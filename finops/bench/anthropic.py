"""The ``anthropic`` case (issue 14): a year of Anthropic cost reports for N teams as ONE range run of
``anthropic_costs_daily``, against a bare script doing the same requests and a COPY (``limit anthropic``).

Built like the OpenAI ``backfill`` case (same helpers: ``run_child``, ``dags_test``, ``outcome``); each
team is a simulator organization with 3 workspaces and the default one, every one registered.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta

from finops.bench import Measurement, verdict
from finops.bench.cases import Log, dags_test, outcome, run_child, truncate
from finops.bench.env import BenchEnv

FIRST_DAY = date(2025, 1, 1)
PAGE_DAYS = 31  # the cost report's largest `limit`: a year is 12 pages a team
GOAL_S = 300.0  # as the OpenAI range run: a year for 100 teams in under 5 minutes


def pages_recorded(env: BenchEnv) -> int:
    import psycopg

    with psycopg.connect(env.pg_url) as conn:
        return conn.execute("SELECT coalesce(sum(pages), 0) FROM finops.collection_runs "
                            "WHERE provider = 'anthropic' AND status = 'success'").fetchone()[0]


def bare_script(env: BenchEnv, log: Log, teams: list[str], start: date, end: date, pool: int) -> tuple[float, dict]:
    """``python -m finops.bench.limit anthropic``: wall time of the child and what it printed last."""
    elapsed, done = run_child([env.python(), "-m", "finops.bench.limit", "anthropic", "--teams", ",".join(teams),
                               "--start", start.isoformat(), "--end", end.isoformat(), "--pool", str(pool)], env, log)
    lines = done.stdout.strip().splitlines()
    if done.returncode == -9:
        return elapsed, {"timed_out": True}
    return elapsed, (json.loads(lines[-1]) if done.returncode == 0 and lines else {"failed": True})


def case_anthropic(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    count, days = args.anthropic_teams, args.backfill_days
    teams = env.team_ids(count)
    end = FIRST_DAY + timedelta(days=days)  # exclusive; the DAG's end_date is inclusive
    truncate(env)
    bare_s, bare = bare_script(env, log, teams, FIRST_DAY, end, args.pool)
    log(f"anthropic, bare script: {bare_s:.1f} s ({bare})")
    truncate(env)
    conf = {"team_ids": teams, "start_date": FIRST_DAY.isoformat(), "end_date": (end - timedelta(days=1)).isoformat()}
    dag_s, ok = dags_test(env, log, date(2026, 9, 1), conf, dag_id="anthropic_costs_daily")
    dag_ok, rows = outcome(env)
    pages = pages_recorded(env)
    log(f"anthropic, dags test: {dag_s:.1f} s, ok={ok}, {dag_ok}/{count} teams, {rows} rows, {pages} pages")
    truncate(env)
    if not bare.get("rows"):
        limit = f"bare script {bare_s:.1f} s {'TIMED OUT' if bare.get('timed_out') else 'FAILED'}"
        ratio = None
    else:
        limit = (f"bare script {bare_s:.1f} s ({bare['rows']:,} rows, {bare['pages']} pages, "
                 f"{bare['rows'] / bare_s:,.0f} rows/s)")
        ratio = dag_s / bare_s
    same = bare.get("rows") == rows and bare.get("pages") == pages
    out = [Measurement(
        f"anthropic: {days} d x {count} teams, one range run (dags test)",
        f"{dag_s:.1f} s ({rows:,} rows, {pages} pages, {rows / dag_s:,.0f} rows/s, {dag_ok}/{count} ok)",
        limit, ratio, "< 300 s for 100 teams",
        ("failed run" if not ok or dag_ok != count else "rows differ from the script!" if not same
         else verdict(dag_s < GOAL_S) if count >= 100 else "see next"))]
    if count < 100 and ok:
        estimate = dag_s * 100 / count
        out.append(Measurement(f"anthropic: {days} d x 100 teams (EXTRAPOLATED x100/n)", f"~{estimate:.0f} s",
                               target="< 300 s", verdict=f"extrapolated: {verdict(estimate < GOAL_S)}"))
    return out

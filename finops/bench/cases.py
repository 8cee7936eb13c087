"""The benchmark cases of issue 9; each returns table lines and measures its limit in the same run."""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from finops.bench import Measurement, verdict
from finops.bench.env import ACTOR, BenchEnv, line_items, project_ids

Log = Callable[[str], None]
VALIDATION_TEAMS = 20
LOAD_REPEATS = 2
RUN_TIMEOUT_S = 600.0  # one `airflow dags test` or limit script; set from --run-timeout
PAGE_BUCKETS = 180  # the client's `limit`: buckets (days) per Costs API page
ROOT = Path(__file__).resolve().parents[2]


def truncate(env: BenchEnv) -> None:
    import psycopg

    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        # The rollups and the run-dependent tables too (the usage rollups and the alerts' state included, so that the
        # run without usage does not start from what the run with usage left): a bench run starts from an empty
        # warehouse.
        conn.execute("TRUNCATE finops.success_rates, finops.cost_data, finops.collection_run_days, "
                     "finops.collection_run_skipped, finops.restatements, finops.spend_project_daily, "
                     "finops.spend_project_monthly, finops.spend_model_daily, finops.rollup_pending, finops.usage_data, "
                     "finops.collection_runs, finops.spend_key_daily, finops.spend_key_monthly, "
                     "finops.usage_model_daily, finops.usage_model_mtd, finops.usage_days, finops.alerts, "
                     "finops.anomaly_judgements, finops.collection_streaks")


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


# -- 1. load ------------------------------------------------------------------------------------
def simulator_pages(rows: int, first_day: date, org_id: str = "org-benchload") -> tuple[list[str], int]:
    """JSON bodies shaped as the simulator serves them (10 projects x 30 line items a day); and the days."""
    projects, items = project_ids(9999), line_items()
    per_day = len(projects) * len(items)
    days = math.ceil(rows / per_day)
    pages: list[str] = []
    left = rows
    for page_start in range(0, days, PAGE_BUCKETS):
        buckets = []
        for offset in range(page_start, min(days, page_start + PAGE_BUCKETS)):
            day = first_day + timedelta(days=offset)
            results = []
            for n, (pid, item) in enumerate((p, i) for p in projects for i in items):
                if left == 0:
                    break
                left -= 1
                quantity = 1000 + (offset * 7919 + n * 104729) % 3_000_000
                results.append({"object": "organization.costs.result",
                                "amount": {"value": quantity * 2.5e-06, "currency": "usd"}, "line_item": item,
                                "project_id": pid, "api_key_id": None, "quantity": quantity,
                                "quantity_unit": "tokens", "organization_id": org_id})
            buckets.append({"object": "bucket", "start_time": _midnight(day),
                            "end_time": _midnight(day + timedelta(days=1)), "results": results})
        more = page_start + PAGE_BUCKETS < days
        pages.append(json.dumps({"object": "page", "data": buckets, "has_more": more,
                                 "next_page": f"page_{page_start + PAGE_BUCKETS}" if more else None}))
    return pages, days


def case_load(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    import psycopg

    from finops import paths
    from finops.costs.parsing import parse_costs_page
    from finops.registry import Registry
    from finops.warehouse.loader import Window, replace_window

    team = "benchload"
    if team not in {t.team_id for t in Registry().teams()}:
        Registry().add_team(team, ACTOR)
    first = date(2015, 1, 1)
    pages, days = simulator_pages(args.rows, first)
    window = Window(first, first + timedelta(days=days))
    log(f"load: {args.rows} rows in {len(pages)} pages ({sum(map(len, pages)) / 1e6:.0f} MB of JSON), {days} days")

    def parsed() -> Iterator:
        for n, text in enumerate(pages, 1):
            yield from parse_costs_page(text, page=n).rows

    transaction_s = math.inf

    def loader_run() -> float:
        nonlocal transaction_s
        truncate(env)
        started = time.perf_counter()
        result = replace_window(team, window, parsed(), dag_run_id="bench-load", started_at=datetime.now(UTC))
        assert result.rows == args.rows, (result.rows, args.rows)
        elapsed = time.perf_counter() - started
        transaction_s = min(transaction_s, result.transaction_seconds)
        return elapsed

    def copy_run(tuples: list[tuple]) -> float:
        truncate(env)
        started = time.perf_counter()
        with psycopg.connect(env.pg_url) as conn, conn.cursor().copy(paths.sql("collection/copy_cost_rows")) as copy:
            for t in tuples:
                copy.write_row(t)
        return time.perf_counter() - started

    started = time.perf_counter()
    rows = list(parsed())
    parse_s = time.perf_counter() - started
    now = datetime.now(UTC)
    tuples = [(team, r.usage_date, r.project_id, r.line_item, r.currency, r.amount, r.quantity, r.quantity_unit,
               r.organization_id, now, "bench-copy", None, "openai", r.model, r.token_type, r.cost_type,
               r.service_tier, r.context_window, r.inference_geo, r.api_key_id, r.allocated) for r in rows]
    # Alternating, best of REPEATS: the table, the WAL and the garbage collector see the same history.
    loader_s = copy_s = load_only_s = math.inf
    phases: dict[str, float] = {}
    for _ in range(LOAD_REPEATS):
        copy_s = min(copy_s, copy_run(tuples))
        loader_s = min(loader_s, loader_run())
        truncate(env)
        started = time.perf_counter()
        result = replace_window(team, window, rows, dag_run_id="bench-load", started_at=datetime.now(UTC))
        if time.perf_counter() - started < load_only_s:
            load_only_s, phases = time.perf_counter() - started, result.phases
    # The same without the rollups (issue 15): the change neither computed nor applied, a plain delete.
    from finops.analytics import rollups
    from finops.bench.analytics import DroppedChanges
    from finops.warehouse import loader

    real, no_rollups_s = (rollups.window_change, loader.DELETE_WINDOW, loader.DELETE_WINDOW_SUMMED), math.inf
    rollups.window_change = lambda provider, team_id, run_id, *args: rollups.RollupChange(run_id, provider, team_id)
    loader.DELETE_WINDOW = loader.DELETE_WINDOW_SUMMED = "bench/delete_window_plain"
    try:
        for _ in range(LOAD_REPEATS):
            truncate(env)
            started = time.perf_counter()
            replace_window(team, window, rows, dag_run_id="bench-load", started_at=datetime.now(UTC),
                           rollups=DroppedChanges())
            no_rollups_s = min(no_rollups_s, time.perf_counter() - started)
    finally:
        rollups.window_change, loader.DELETE_WINDOW, loader.DELETE_WINDOW_SUMMED = real
    del rows, tuples
    truncate(env)

    n = args.rows
    loader_rate, copy_rate = n / loader_s, n / copy_s
    ratio = loader_rate / copy_rate
    return [
        Measurement(f"load: parse + loader, best of {LOAD_REPEATS} (rows/s)", f"{loader_rate:,.0f} ({loader_s:.1f} s)",
                    f"bare COPY {copy_rate:,.0f} ({copy_s:.1f} s)", ratio, ">= 0.70 of COPY", verdict(ratio >= 0.7)),
        Measurement("load: transaction (team locked), best of the parse + loader runs",
                    f"{transaction_s:.1f} s of {loader_s:.1f} s", "-", transaction_s / loader_s,
                    "fetch outside the transaction", "info"),
        Measurement("load: parse only (rows/s)", f"{n / parse_s:,.0f} ({parse_s:.1f} s)"),
        Measurement("load: loader, rows pre-parsed (rows/s)", f"{n / load_only_s:,.0f} ({load_only_s:.1f} s)",
                    f"bare COPY {copy_rate:,.0f}", (n / load_only_s) / copy_rate, ">= 0.80 of COPY",
                    verdict((n / load_only_s) / copy_rate >= 0.8)),
        Measurement("load: loader, rows pre-parsed: its steps (s)",
                    ", ".join(f"{name} {seconds:.1f}" for name, seconds in phases.items() if seconds >= 0.05),
                    f"bare COPY {copy_s:.1f} s", None, "where the time goes", "info"),
        Measurement("load: loader, rows pre-parsed, without the rollups (rows/s)",
                    f"{n / no_rollups_s:,.0f} ({no_rollups_s:.1f} s)", f"bare COPY {copy_rate:,.0f}",
                    (n / no_rollups_s) / copy_rate, "the rollups' share", "info"),
    ]


# -- 2. daily run -------------------------------------------------------------------------------
def run_child(argv: list[str], env: BenchEnv, log: Log, *, timeout: float | None = None,
              extra_env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Run a child with the bench's environment; a timeout kills it and its queries, and is reported."""
    timeout = timeout or RUN_TIMEOUT_S
    started = time.perf_counter()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env={**env.child_env(), **(extra_env or {})},
                              cwd=ROOT, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        _cancel_queries(env)
        log(f"`{' '.join(argv[:4])} ...` did not finish in {timeout:.0f} s; killed (its queries cancelled)")
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        done = subprocess.CompletedProcess(argv, -9, out, err)
    elapsed = time.perf_counter() - started
    for line in done.stderr.splitlines():
        if line.startswith("limit: "):
            log(line)
    if done.returncode not in (0, -9):
        log(f"`{' '.join(argv[:4])} ...` exited {done.returncode}; output ends:\n"
            + (done.stdout + done.stderr)[-2500:])
    return elapsed, done


def _cancel_queries(env: BenchEnv) -> None:
    import psycopg

    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def dags_test(env: BenchEnv, log: Log, logical_date: date, conf: dict, dag_id: str = "openai_costs_daily",
              extra_env: dict[str, str] | None = None) -> tuple[float, bool]:
    bin_dir = Path(env.python()).parent
    elapsed, done = run_child([str(bin_dir / "airflow"), "dags", "test", dag_id, logical_date.isoformat(),
                          "--conf", json.dumps(conf)], env, log, extra_env=extra_env)
    return elapsed, done.returncode == 0


#: ``finops_usage_endpoints`` of the run without usage (finops/usage/settings.py).
WITHOUT_USAGE = {"AIRFLOW_VAR_FINOPS_USAGE_ENDPOINTS": "none"}


def explained_dags_test(env: BenchEnv, log: Log, label: str, logical_date: date, conf: dict,
                        extra_env: dict[str, str] | None = None, dag_id: str = "openai_costs_daily"):
    """``airflow dags test`` with its CPU per process group, its steps and its counts (finops.bench.explain)."""
    from finops.bench import explain

    pg = explain.postgres_pid()
    load_before = explain.load_average()
    since = datetime.now(UTC) - timedelta(seconds=1)
    launched = time.time()
    measured = explain.statements_reset(env.pg_url)
    maintained = explain.autovacuum_counts(env.pg_url)
    before = explain.CpuSnapshot.take(pg, env.simulator_pid)
    elapsed, ok = dags_test(env, log, logical_date, conf, dag_id, extra_env=extra_env)
    cpu = explain.CpuSnapshot.take(pg, env.simulator_pid).since(before)
    log(f"{label}: autovacuum during the run: "
        f"{explain.autovacuum_since(maintained, explain.autovacuum_counts(env.pg_url))}")
    statements = explain.top_statements(env.pg_url) if measured else []
    steps = explain.read_run(dag_id, since, launched)
    teams_ok, requests, rows, usage = explain.run_counts(env.pg_url, since)
    found = explain.Explained(label, elapsed, cpu, steps, requests, rows, usage, len(conf["team_ids"]), load_before,
                              explain.load_average(), statements)
    log(f"{label}: {elapsed:.1f} s, exit ok={ok}, {teams_ok} teams ok, {rows} cost rows, {usage} usage rows")
    return found, ok and teams_ok == len(conf["team_ids"]), teams_ok


def _concurrency(args: argparse.Namespace) -> int:
    """Concurrent API calls of an ``airflow dags test`` run: it runs one task instance at a time, so a
    collect_team instance's threads x a team's requests in flight (``--team-requests-in-flight``, the variable
    finops_team_requests_in_flight); the pool's slots multiply it only under a scheduler."""
    from finops.defaults import DEFAULT_TEAM_REQUESTS_IN_FLIGHT, DEFAULT_THREADS_PER_TASK

    in_flight = getattr(args, "team_requests_in_flight", None) or DEFAULT_TEAM_REQUESTS_IN_FLIGHT
    return DEFAULT_THREADS_PER_TASK * in_flight


def limit_script(env: BenchEnv, log: Log, teams: list[str], start: date, end: date, pool: int,
                 run_id: str) -> tuple[float, dict]:
    elapsed, done = run_child([env.python(), "-m", "finops.bench.limit", "daily", "--teams", ",".join(teams),
                          "--start", start.isoformat(), "--end", end.isoformat(), "--pool", str(pool),
                          "--run-id", run_id, "--docs-dir", str(env.home / "limit_docs")], env, log)
    lines = done.stdout.strip().splitlines()
    if done.returncode == -9:
        return elapsed, {"timed_out": True}
    return elapsed, (json.loads(lines[-1]) if done.returncode == 0 and lines else {"failed": True})


def _limit_text(limit_s: float, detail: dict) -> str:
    note = " TIMED OUT" if detail.get("timed_out") else " FAILED" if detail.get("failed") else ""
    return f"script {limit_s:.1f} s{note}"


def outcome(env: BenchEnv) -> tuple[int, int]:
    """Teams with a successful run, rows in ``cost_data``."""
    import psycopg

    with psycopg.connect(env.pg_url) as conn:
        ok = conn.execute("SELECT count(DISTINCT team_id) FROM finops.collection_runs WHERE status = 'success'").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM finops.cost_data").fetchone()[0]
    return ok, rows


def _pages(env: BenchEnv) -> str:
    found = env.page_cache()
    return (f"{found.get('pages', 0):,} pages kept ({found.get('bytes', 0) / 1e6:,.0f} MB), {found.get('hits', 0):,} "
            f"served from memory, {found.get('misses', 0):,} computed so far")


def daily_window(logical_date: date, lookback: int = 2) -> tuple[date, date]:
    """The window of the scheduled run at ``logical_date`` 00:00 (as ``airflow dags test`` runs it)."""
    from finops.collection import resolve_window

    end = datetime(logical_date.year, logical_date.month, logical_date.day, tzinfo=UTC)
    window = resolve_window(end - timedelta(days=1), end, lookback_days=lookback)
    return window.start, window.end


def starting_state(env: BenchEnv, log: Log, args: argparse.Namespace, logical: date, teams: list[str],
                   extra_env: dict[str, str] | None = None) -> None:
    """With ``--day-after-day``, the warehouse as the previous day's run leaves it (untimed, after a truncate, with
    the timed run's ``extra_env``: a deployment without usage had none the day before either): the timed run then
    re-collects two days already loaded (costs replaced, usage days compared: migration 0025) and one new day, as
    every scheduled run after the first does. Without it, the timed run starts empty."""
    if not args.day_after_day:
        return
    seconds, ok = dags_test(env, log, logical - timedelta(days=1), {"team_ids": teams}, extra_env=extra_env)
    if not ok:
        raise RuntimeError(f"the previous day's run failed ({seconds:.1f} s); see the log above")
    log(f"the previous day ({logical - timedelta(days=1)}) loaded by an untimed run ({seconds:.1f} s)")
    log(f"the previous day's writes vacuumed and analyzed ({vacuum(env):.1f} s)")


def vacuum(env: BenchEnv) -> float:
    """``VACUUM (ANALYZE)`` of the bench database: the maintenance autovacuum has a day for between two scheduled
    runs, done before the timed run, so that what autovacuum had not finished of the previous day's writes does not
    run beside it. Returns its seconds."""
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - began


def case_daily(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    """Per team count: the run with usage and per-key rows, explained (CPU, steps, computed limit), the same
    run without usage, rows per team before/after the key grouping; the bare script with --script-limit."""
    from finops.bench import explain

    out: list[Measurement] = []
    latency_s, concurrency = args.latency_ms / 1000, _concurrency(args)
    for n, count in enumerate(args.teams):
        teams = env.team_ids(count)
        logical = date(2026, 10, 1) + timedelta(days=n)
        start, end = daily_window(logical)
        truncate(env)
        if args.warm_simulator:  # every page both timed runs ask for, computed once before them
            warm_s, _ = dags_test(env, log, logical, {"team_ids": teams})
            truncate(env)
            log(f"simulator warmed by an untimed run ({warm_s:.1f} s): {_pages(env)}")
        starting_state(env, log, args, logical, teams)
        run, ok, dag_ok = explained_dags_test(env, log, f"daily {count} teams, usage + per-key rows", logical,
                                              {"team_ids": teams})
        if args.warm_simulator:
            log(f"after the run with usage: {_pages(env)}")
        copy_rate, sample = explain.bare_copy_rate(env.pg_url)
        before, after = explain.rows_per_key_grouping(env, teams, start, end)
        print(run.report(latency_s, concurrency, copy_rate), flush=True)
        print(f"bare COPY of {sample:,} of this run's cost rows: {copy_rate:,.0f} rows/s; cost rows a team from the "
              f"simulator (first 5 teams): {before:,.0f} grouped by project and line item, {after:,.0f} also by "
              f"API key ({after / before if before else 0:.1f}x, {env.keys_per_project or 1} key(s) a project)",
              flush=True)
        limit, _ = run.computed_limit(latency_s, concurrency, copy_rate)
        ratio = run.wall_s / limit
        target = "<= 60 s and <= 2x" if count >= 1000 else "(1000 teams: <= 60 s, <= 2x)"
        met = run.wall_s <= 60 and ratio <= 2
        out.append(Measurement(
            f"daily: {count} teams, dags test, usage + {env.keys_per_project or 1} keys/project",
            f"{run.wall_s:.1f} s ({dag_ok}/{count} ok; CPU pipeline {run.cpu['pipeline']:.0f} s, PG "
            f"{run.cpu['postgres']:.0f} s, stand-ins {run.cpu['simulator'] + run.cpu['kms']:.0f} s)",
            f"computed {limit:.1f} s", ratio, target,
            ("info" if count < 1000 else verdict(met)) if ok else "failed run"))
        out.append(Measurement(f"daily: {count} teams, rows and requests a team",
                               f"{run.cost_rows / count:,.0f} cost rows ({before:,.0f} before the key grouping), "
                               f"{run.usage_rows / count:,.0f} usage rows, {run.requests / count:.1f} requests"))
        if not args.no_usage_compare:
            truncate(env)
            starting_state(env, log, args, logical, teams, extra_env=WITHOUT_USAGE)
            bare, bare_ok, bare_dag_ok = explained_dags_test(
                env, log, f"daily {count} teams, without usage (finops_usage_endpoints=none)", logical,
                {"team_ids": teams}, extra_env=WITHOUT_USAGE)
            print(bare.report(latency_s, concurrency, copy_rate), flush=True)
            if args.warm_simulator:
                log(f"after the run without usage: {_pages(env)}")
            share = run.wall_s / bare.wall_s
            out.append(Measurement(
                f"daily: {count} teams, with usage / without", f"{run.wall_s:.1f} s / {bare.wall_s:.1f} s "
                f"({bare_dag_ok}/{count} ok without)", f"without usage {bare.wall_s:.1f} s", share,
                "usage adds <= 25 %", verdict(share <= 1.25) if ok and bare_ok else "failed run"))
        if args.script_limit:
            truncate(env)
            limit_s, detail = limit_script(env, log, teams, start, end, args.pool, f"bench-limit-{count}")
            limit_ok, _ = outcome(env)
            out.append(Measurement(f"daily: {count} teams, bare script", f"{_limit_text(limit_s, detail)} "
                                   f"({limit_ok}/{count} ok)", "-", run.wall_s / limit_s, "dags test / script"))
    truncate(env)
    return out


# -- 3. backfill --------------------------------------------------------------------------------
def case_backfill(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    count = args.backfill_teams
    teams = env.team_ids(count)
    start = date(2025, 1, 1)
    end = start + timedelta(days=args.backfill_days - 1)
    conf = {"team_ids": teams, "start_date": start.isoformat(), "end_date": end.isoformat()}
    from finops.bench import explain

    truncate(env)
    if args.warm_simulator:  # every page the timed run asks for, computed once before it
        warm_s, _ = dags_test(env, log, date(2026, 9, 1), conf)
        truncate(env)
        log(f"simulator warmed by an untimed run ({warm_s:.1f} s): {_pages(env)}")
    run, ok, dag_ok = explained_dags_test(env, log, f"backfill range {args.backfill_days} d x {count} teams",
                                          date(2026, 9, 1), conf)
    if args.warm_simulator:
        log(f"after the timed run: {_pages(env)}")
    rows = run.cost_rows
    copy_rate, sample = explain.bare_copy_rate(env.pg_url)
    latency_s, concurrency = args.latency_ms / 1000, _concurrency(args)
    print(run.report(latency_s, concurrency, copy_rate), flush=True)
    print(f"bare COPY of {sample:,} of this run's cost rows: {copy_rate:,.0f} rows/s", flush=True)
    limit, _ = run.computed_limit(latency_s, concurrency, copy_rate)
    range_s = run.wall_s
    label = f"backfill: {args.backfill_days} d x {count} teams, range run"
    out = [Measurement(label, f"{range_s:.1f} s ({rows:,} rows, {dag_ok}/{count} ok)", f"computed {limit:.1f} s",
                       range_s / limit, "<= 120 s for 100 teams",
                       verdict(range_s <= 120) if count >= 100 and ok else ("failed run" if not ok else "see next"))]
    if args.script_limit:
        truncate(env)
        limit_s, detail = limit_script(env, log, teams, start, end + timedelta(days=1), args.pool, "bench-limit-range")
        out.append(Measurement(f"{label}, bare script", _limit_text(limit_s, detail), "-", range_s / limit_s,
                               "dags test / script"))
    if count < 100:
        estimate = range_s * 100 / count
        out.append(Measurement(f"backfill: {args.backfill_days} d x 100 teams, range run (EXTRAPOLATED x100/n)", f"~{estimate:.0f} s",
                               "-", None, "<= 120 s", f"extrapolated: {verdict(estimate <= 120)}"))
    # `airflow backfill create` needs a scheduler: the `scheduler` case measures it (opt-in, ~10 min).
    truncate(env)
    return out


# -- 4. validation ------------------------------------------------------------------------------
def _fill(env: BenchEnv, target: int, validated_day: date, log: Log) -> None:
    """Grow cost_data to ``target`` rows with days before the validated one (one INSERT .. SELECT)."""
    import psycopg

    teams = env.team_ids(VALIDATION_TEAMS)
    with psycopg.connect(env.pg_url) as conn:
        have = conn.execute("SELECT count(*) FROM finops.cost_data").fetchone()[0]
        missing = target - have
        if missing <= 0:
            return
        per_day = VALIDATION_TEAMS * 10 * 30
        filled_days = conn.execute(
            "SELECT count(DISTINCT usage_date) FROM finops.cost_data WHERE usage_date < %s", (validated_day,)).fetchone()[0]
        days = math.ceil(missing / per_day)
        started = time.perf_counter()
        conn.execute(
            """INSERT INTO finops.cost_data (team_id, usage_date, project_id, line_item, currency, amount, quantity,
                   quantity_unit, organization_id, collected_at, dag_run_id)
               SELECT t.team_id, %(day)s::date - (d + 1), 'proj_' || t.team_id || 'p' || lpad(p::text, 2, '0'),
                      'bench-model-' || i, 'usd', round((random() * 10)::numeric, 6), 1000, 'tokens',
                      'org-' || t.team_id, now(), 'bench-fill'
               FROM unnest(%(teams)s::text[]) AS t(team_id), generate_series(%(d0)s::int, %(d1)s::int) AS d,
                    generate_series(0, 9) AS p, generate_series(0, 29) AS i
               LIMIT %(missing)s""",
            {"day": validated_day, "teams": teams, "d0": filled_days, "d1": filled_days + days - 1,
             "missing": missing})
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE finops.cost_data")
    log(f"validation: cost_data grown to {target:,} rows in {time.perf_counter() - started:.1f} s")


def case_validation(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    from finops.costs.models import CostRow
    from finops.quality import validate_window
    from finops.warehouse.loader import Window, replace_window

    day = date(2026, 6, 15)
    teams = env.team_ids(VALIDATION_TEAMS)
    truncate(env)
    items = line_items()
    for n, team in enumerate(teams):  # the validated day: loaded by the loader, so the run records exist
        rows = [CostRow(day, pid, item, "usd", Decimal("0.25") + n, Decimal(1000), "tokens", f"org-{team}")
                for pid in project_ids(n) for item in items]
        replace_window(team, Window(day, day + timedelta(days=1)), rows, dag_run_id="bench-validation",
                       started_at=datetime.now(UTC))

    def validate() -> tuple[float, bool, int]:
        started = time.perf_counter()
        report = validate_window(day, day + timedelta(days=1), team_ids=teams, settle_days=0,
                                 today=day + timedelta(days=5), docs_dir=None, currencies=["usd"])
        return time.perf_counter() - started, report.success, report.rows_validated

    validate()  # imports Great Expectations once, outside the timings
    times: dict[int, float] = {}
    out: list[Measurement] = []
    for size in sorted(args.table_sizes):
        _fill(env, size, day, log)
        runs = [validate() for _ in range(3)]
        times[size] = statistics.median(r[0] for r in runs)
        log(f"validation at {size:,} rows: {[round(r[0], 2) for r in runs]} s, success={runs[0][1]}, "
            f"{runs[0][2]} rows validated")
        base = times[min(times)]
        ratio = times[size] / base
        target = "<= 1.5x of 100k (10M)" if size >= 10_000_000 else "flat (10M: <= 1.5x)"
        out.append(Measurement(f"validation: 1 day ({runs[0][2]:,} rows) in {size:,}-row table",
                               f"{times[size]:.2f} s (median of 3, success={runs[0][1]})",
                               f"{min(times):,}-row table {base:.2f} s", ratio, target,
                               verdict(ratio <= 1.5) if size >= 10_000_000 else
                               ("flat" if ratio <= 1.5 else "GROWS")))
    truncate(env)
    return out


# -- 5. parse -----------------------------------------------------------------------------------
_PARSE_SCRIPT = """
import json, sys, time, importlib.util
t0 = time.perf_counter()
import airflow, airflow.sdk, pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task
t1 = time.perf_counter()
spec = importlib.util.spec_from_file_location("openai_costs_daily_bench", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
t2 = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
t3 = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
t4 = time.perf_counter()
assert not bag.import_errors, bag.import_errors
print(json.dumps({"airflow": t1 - t0, "dag_file": t2 - t1, "dagbag": t4 - t3, "gx": "great_expectations" in sys.modules,
                  "pandas": "pandas" in sys.modules}))
"""


def case_parse(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    import os
    import sys

    dag_file = ROOT / "dags" / "openai_costs_daily.py"
    samples = []
    child_env = {**os.environ, "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGS_FOLDER": str(dag_file.parent)}
    for _ in range(args.repeat):
        done = subprocess.run([sys.executable, "-c", _PARSE_SCRIPT, str(dag_file)], capture_output=True, text=True,
                              env=child_env, cwd=ROOT, check=True, timeout=300)
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    airflow_s = statistics.median(s["airflow"] for s in samples)
    dag_s = statistics.median(s["dag_file"] for s in samples)
    bag_s = statistics.median(s["dagbag"] for s in samples)
    heavy = [name for name in ("gx", "pandas") if any(s[name] for s in samples)]
    log(f"parse samples: {samples}")
    return [
        Measurement("parse: DAG file beyond importing Airflow", f"{dag_s * 1000:.0f} ms (median of {args.repeat})",
                    f"import airflow + sdk {airflow_s * 1000:.0f} ms", dag_s / airflow_s, "< 50 ms",
                    verdict(dag_s < 0.05)),
        Measurement("parse: DagBag of the file (warm)", f"{bag_s * 1000:.0f} ms",
                    verdict=f"imports {', '.join(heavy)}!" if heavy else "no GX/pandas import"),
    ]


# -- 6. memory ----------------------------------------------------------------------------------
def case_memory(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    team = env.team_ids(1)[0]
    end = date(2026, 1, 1)
    out: list[Measurement] = []
    deltas: dict[int, float] = {}
    for days in (30, PAGE_BUCKETS, 4 * PAGE_BUCKETS):
        truncate(env)
        start = end - timedelta(days=days)
        _, done = run_child([env.python(), "-m", "finops.bench.limit", "memory", "--team", team,
                        "--start", start.isoformat(), "--end", end.isoformat()], env, log)
        found = json.loads(done.stdout.strip().splitlines()[-1])
        delta_mb = (found["peak_kb"] - found["baseline_kb"]) / 1024
        deltas[days] = delta_mb
        log(f"memory {days} days: {found}")
        out.append(Measurement(
            f"memory: {team}, {days} days ({found['rows']:,} rows, {found['pages']} pages)",
            f"peak RSS {found['peak_kb'] / 1024:.0f} MB (+{delta_mb:.0f} MB during the collection)",
            f"1 page ({PAGE_BUCKETS} d): +{deltas.get(PAGE_BUCKETS, delta_mb):.0f} MB" if days > PAGE_BUCKETS else "-",
            (delta_mb / deltas[PAGE_BUCKETS]) if days > PAGE_BUCKETS and deltas[PAGE_BUCKETS] > 0 else None,
            "bounded by a page" if days > PAGE_BUCKETS else "-",
            verdict(delta_mb <= 1.25 * deltas[PAGE_BUCKETS]) if days > PAGE_BUCKETS else "info"))
    truncate(env)
    return out


def usage_window_rows(team: int, start: date, days: int = 3, projects: int = 10, keys: int = 20,
                      models: int = 16, bump: int = 0) -> list:
    """A team's usage rows of the daily case's shape (10 projects x 20 keys x 16 models x 3 days: 9,600 rows); ``bump``
    changes every count, so every day of the window changes."""
    from finops.usage.models import UsageRow

    return [UsageRow(start + timedelta(days=d), f"proj_{team}_{p}", "completions", f"key_{team}_{p}_{k}", f"model-{m}",
                     "default", False, None, 10 + m + bump, 1000 * (m + 1) + d + bump, 100 + k, 0, None, None, 500 + p)
            for d in range(days) for p in range(projects) for k in range(keys) for m in range(models)]


def case_usage_days(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    """The usage load (finops.usage.load.UsageLoad, in its own transactions) of --backfill-teams teams' 3-day windows
    of 9,600 rows: into an empty warehouse, again unchanged (migration 0025 leaves the days alone), and again with
    every day changed (deleted and copied: the same keys). Wall time and the backend's own CPU a row."""
    import os

    import psycopg

    from finops.usage.load import UsageLoad

    teams, start = args.backfill_teams, date(2026, 9, 28)
    params = {"window_start": start, "window_end": start + timedelta(days=3), "provider": "openai",
              "dag_run_id": "bench-usage-days"}
    truncate(env)
    out: list[Measurement] = []
    with psycopg.connect(env.pg_url) as conn:
        stat = Path(f"/proc/{conn.info.backend_pid}/stat")

        def backend_cpu() -> float:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        for label, bump in (("into an empty warehouse", 0), ("again, unchanged", 0), ("again, every day changed", 1)):
            loads = [UsageLoad(usage_window_rows(n, start, bump=bump)) for n in range(teams)]
            for n, load in enumerate(loads):
                load.spool({**params, "team_id": f"bench{n:04d}"})
            rows = sum(len(load.rows) for load in loads)
            began, cpu = time.perf_counter(), backend_cpu()
            for n, load in enumerate(loads):
                with conn.transaction():
                    load.load(conn, {**params, "team_id": f"bench{n:04d}"}, run_id=n + 1)
            wall, cpu = time.perf_counter() - began, backend_cpu() - cpu
            written = sum(load.written for load in loads)
            log(f"usage days, {label}: {rows:,} rows ({written:,} written) in {wall:.2f} s")
            out.append(Measurement(f"usage load: {teams} teams x 9,600 rows, {label}",
                                   f"{wall:.2f} s, {1e6 * wall / rows:.2f} us a row; backend CPU {1e6 * cpu / rows:.2f} "
                                   f"us a row; {written:,} rows written"))
    truncate(env)
    return out


# -- usage page read ----------------------------------------------------------------------------
def case_page_read(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    """One team's completions usage page (3 days, --keys-per-project keys a project: 2.7 MB at 20) fetched through
    the OpenAI client from the simulator (--latency-ms), with 0 and 3 threads of plain Python running beside it, as a
    busy collection task has, read in requests' own 10 KB reads and in BODY_CHUNK_BYTES ones (finops.costs.http):
    each read lets the interpreter lock go, and taking it back from a busy thread can cost the switch interval."""
    import threading

    from finops.bench.env import team_id
    from finops.costs import http
    from finops.costs.client import CostsClient
    from finops.costs.http import ClientSettings
    from finops.usage.client import openai_usage

    start = date(2026, 9, 28)
    client = CostsClient(settings=ClientSettings(base_url=env.base_url))

    def fetch() -> tuple[float, int]:
        began = time.perf_counter()
        rows = openai_usage(client, env.keys[team_id(0)], start, start + timedelta(days=3), project_ids(0),
                            ("completions",)).decoded_rows()
        return time.perf_counter() - began, len(rows)

    _, rows = fetch()  # the simulator computes the page once (and keeps it with --warm-simulator)
    out, chunk = [], http.BODY_CHUNK_BYTES
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            sum(range(1000))

    try:
        for beside in (0, 3):
            for size, label in ((10 * 1024, "10 KB reads (requests' own)"), (chunk, f"{chunk // 1024} KB reads")):
                http.BODY_CHUNK_BYTES = size
                stop.clear()
                threads = [threading.Thread(target=busy, daemon=True) for _ in range(beside)]
                for thread in threads:
                    thread.start()
                samples = sorted(fetch()[0] for _ in range(args.repeat))
                stop.set()
                for thread in threads:
                    thread.join()
                median = statistics.median(samples)
                log(f"page read, {beside} busy threads, {label}: {', '.join(f'{s:.3f}' for s in samples)} s")
                out.append(Measurement(f"usage page read ({rows:,} rows), {beside} busy threads beside, {label}",
                                       f"{median:.3f} s (median of {args.repeat})",
                                       f"latency {args.latency_ms} ms", median / (args.latency_ms / 1000)))
    finally:
        http.BODY_CHUNK_BYTES = chunk
        client.close()
    return out

"""Benchmarks: each case runs next to its limit in the same process and prints a table of ratios.

``make bench BENCH_ARGS="--case load,parse"`` or ``python -m finops.bench --help``. Figures are
printed, never asserted; docs/performance.md records what was measured and on which machine.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CASES = ("load", "daily", "backfill", "validation", "parse", "memory", "page", "scheduler", "alerts", "cli",
         "analytics", "export", "anthropic", "alerts_dag", "usage_days", "page_read")
#: ``scheduler`` starts an Airflow of its own, ``analytics`` builds a 6.5 M row warehouse, ``anthropic``
#: collects a year for 100 teams twice (a few minutes more each), ``alerts`` measures detection quality
#: rather than the pipeline, ``alerts_dag`` times the alerts DAG over 1,000 teams, ``usage_days`` times the usage load
#: alone (empty, unchanged, changed), ``page_read`` times one usage page's read beside busy threads: asked for by name.
OPT_IN_CASES = ("scheduler", "alerts", "analytics", "anthropic", "alerts_dag", "usage_days", "page_read")
DEFAULT_CASES = tuple(c for c in CASES if c not in OPT_IN_CASES)
#: Cases that need no services (PostgreSQL, KMS, simulator).
STANDALONE_CASES = {"parse", "alerts"}
HEADER = ("case", "measured", "limit", "ratio", "target", "verdict")


@dataclass(frozen=True)
class Measurement:
    """One line of the table: what was measured, its limit, their ratio and the target it is held to."""

    case: str
    measured: str
    limit: str = "-"
    ratio: float | None = None
    target: str = "-"
    verdict: str = "info"

    def cells(self) -> tuple[str, ...]:
        ratio = "-" if self.ratio is None else f"{self.ratio:.2f}"
        return (self.case, self.measured, self.limit, ratio, self.target, self.verdict)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def format_table(rows: list[Measurement]) -> str:
    """A Markdown table (readable in a terminal, pasteable into docs/performance.md)."""
    cells = [HEADER, *(r.cells() for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]

    def line(values: tuple[str, ...]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(HEADER), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(c) for c in cells[1:])])


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: give positive integers, e.g. 10,100")
    return values


def _cases(text: str) -> list[str]:
    names = [v.strip() for v in text.split(",") if v.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown case {', '.join(unknown) or text!r}; choose from {', '.join(CASES)}")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m finops.bench",
        description="Benchmarks of the collection pipeline, each against its limit (figures printed, not asserted).",
    )
    parser.add_argument("--case", type=_cases, default=list(DEFAULT_CASES),
                        help=f"comma-separated cases (default all but {' and '.join(OPT_IN_CASES)}): {','.join(CASES)}")
    parser.add_argument("--rows", type=int, default=1_000_000, help="load: cost rows to load (default 1000000)")
    parser.add_argument("--teams", type=_int_list, default=[10, 100],
                        help="daily and page: team counts, e.g. 10,100,1000 (default 10,100)")
    parser.add_argument("--backfill-teams", type=int, default=10,
                        help="backfill and scheduler: teams collected (default 10; the year target is stated for 100)")
    parser.add_argument("--backfill-days", type=int, default=365, help="backfill: days in the range (default 365)")
    parser.add_argument("--backfill-create-days", type=int, default=30,
                        help="scheduler: days of `airflow backfill create`, one run each (default 30)")
    parser.add_argument("--table-sizes", type=_int_list, default=[100_000, 1_000_000],
                        help="validation: cost_data sizes (default 100000,1000000; add 10000000 for the target)")
    parser.add_argument("--keys-per-project", type=int, default=20,
                        help="API keys in each simulated OpenAI project: per-key cost rows (default 20; 0: one key)")
    parser.add_argument("--team-requests-in-flight", type=int, default=None,
                        help="the variable finops_team_requests_in_flight for the runs (default: unset, the product's "
                             "default of 1)")
    parser.add_argument("--no-usage-compare", action="store_true",
                        help="daily: skip the second run without usage (finops_usage_endpoints=none)")
    parser.add_argument("--warm-simulator", action="store_true",
                        help="daily, backfill: the simulator keeps the pages it computes, and an untimed run asks for "
                             "them all first, so the timed runs are served from memory (the stand-in's CPU off the "
                             "machine)")
    parser.add_argument("--day-after-day", action="store_true",
                        help="daily: each timed run starts where the previous day's run left the warehouse (its "
                             "window's first two days loaded, as in a scheduled run after the first), not empty")
    parser.add_argument("--script-limit", action="store_true",
                        help="daily, backfill: also time the bare script (python -m finops.bench.limit)")
    parser.add_argument("--latency-ms", type=int, default=100, help="simulator latency per request (default 100)")
    parser.add_argument("--pool", type=int, default=4, help="concurrency of the limit script (openai_api pool: 4)")
    parser.add_argument("--repeat", type=int, default=5, help="parse: fresh interpreters per measurement (median)")
    parser.add_argument("--run-timeout", type=float, default=600.0,
                        help="seconds before one `airflow dags test` or limit script is killed and reported (600)")
    parser.add_argument("--anthropic-teams", type=int, default=100,
                        help="anthropic: teams collected as one range run of --backfill-days (default 100)")
    parser.add_argument("--alert-teams", type=int, default=200, help="alerts: simulated teams (default 200)")
    parser.add_argument("--alert-dag-teams", type=int, default=1000, help="alerts_dag: teams (default 1000)")
    parser.add_argument("--alert-dag-dags-test", action="store_true",
                        help="alerts_dag: also time `airflow dags test finops_spend_alerts` (Airflow start-up included)")
    parser.add_argument("--seed", type=int, default=1, help="alerts: seed of the simulated year (default 1)")
    parser.add_argument("--analytics-teams", type=int, default=1000, help="analytics: teams (default 1000)")
    parser.add_argument("--analytics-days", type=int, default=365, help="analytics: days of costs (default 365)")
    parser.add_argument("--analytics-keep", action="store_true",
                        help="analytics, page: keep the bench database and reuse its warehouse when it already holds "
                             "these teams x days (skips the generation and the rebuild); the page case then "
                             "times the usage pages only")
    parser.add_argument("--analytics-keys", type=int, default=0,
                        help="page: per-key rows, this many API keys a project (issue 26's shape: 20; default 0)")
    parser.add_argument("--home", type=Path, default=None,
                        help="scratch directory (default .local/bench): AIRFLOW_HOME of the runs, logs")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if min(args.analytics_teams, args.analytics_days) <= 0:
        build_parser().error("--analytics-teams and --analytics-days must be positive")
    if min(args.rows, args.alert_teams, args.alert_dag_teams, args.anthropic_teams, args.backfill_teams, args.backfill_days, args.backfill_create_days, args.repeat, args.pool) <= 0:
        build_parser().error("--rows, --alert-teams, --alert-dag-teams, --anthropic-teams, --backfill-teams, --backfill-days, --backfill-create-days, --repeat and --pool "
                             "must be positive")
    if args.latency_ms < 0 or args.keys_per_project < 0:
        build_parser().error("--latency-ms and --keys-per-project must be 0 or more")
    return args


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the selected cases; print the table; 0 when every case ran (a missed target is not an error)."""
    args = parse_args(argv)
    # A stopped bench still stops what it started (the services in `finally` below).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    from finops.bench import alerts, alerts_dag, analytics, anthropic, cases, cli, export, page, scheduler
    from finops.bench.env import BenchEnv
    from finops.devenv.local import local_dir

    cases.RUN_TIMEOUT_S = args.run_timeout
    home = (args.home or local_dir() / "bench").absolute()
    # With --analytics-keep the page case times the usage pages only: no registered teams needed.
    team_cases = {"daily"} if args.analytics_keep else {"daily", "page"}
    needs_teams = max([*(args.teams if team_cases & set(args.case) else []),
                       args.backfill_teams if {"backfill", "scheduler"} & set(args.case) else 0,
                       cases.VALIDATION_TEAMS if "validation" in args.case else 0,
                       1 if {"memory", "page_read"} & set(args.case) else 0])
    anthropic_teams = args.anthropic_teams if "anthropic" in args.case else 0
    env = BenchEnv(teams=max(needs_teams, anthropic_teams), latency_ms=args.latency_ms, home=home,
                   keys_per_project=args.keys_per_project, cache_pages=args.warm_simulator,
                   anthropic_teams=anthropic_teams, keep_database=args.analytics_keep and set(args.case) <= {"analytics", "page"})
    rows: list[Measurement] = []
    failed = False
    if args.team_requests_in_flight is not None:  # the runs' children inherit it (BenchEnv.child_env)
        os.environ["AIRFLOW_VAR_FINOPS_TEAM_REQUESTS_IN_FLIGHT"] = str(args.team_requests_in_flight)
        _log(f"finops_team_requests_in_flight = {args.team_requests_in_flight}")
    try:
        if set(args.case) - STANDALONE_CASES:
            env.start(_log)
        for name in args.case:
            _log(f"case {name} ...")
            started = time.perf_counter()
            try:
                module = {"page": page, "scheduler": scheduler, "alerts": alerts, "cli": cli,
                          "analytics": analytics, "export": export, "anthropic": anthropic,
                          "alerts_dag": alerts_dag}.get(name, cases)
                run_case = getattr(module, f"case_{name}")
                found = run_case(env, args, _log)
            except Exception as exc:  # one broken case must not hide the others' figures
                failed = True
                found = [Measurement(name, f"error: {type(exc).__name__}: {str(exc)[:160]}", verdict="error")]
            rows += found
            _log(f"case {name} done in {time.perf_counter() - started:.1f} s")
            print(format_table(found), flush=True)
    finally:
        env.close()
    print("\n" + format_table(rows))
    return 1 if failed else 0

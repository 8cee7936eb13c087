"""``python -m finops.devenv ...``: what the Makefile's targets run (see ``make help``)."""

from __future__ import annotations

import argparse
import sys

from finops.devenv import local
from finops.errors import FinopsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m finops.devenv")
    sub = parser.add_subparsers(dest="command", required=True)
    pg = sub.add_parser("pg", help="the embedded PostgreSQL")
    pg.add_argument("action", choices=["start", "stop", "status"])
    sub.add_parser("setup", help="PostgreSQL, Airflow metadata, warehouse schema, settings")
    af = sub.add_parser("airflow", help="the local Airflow")
    af.add_argument("action", choices=["up"])
    sub.add_parser("down", help="stop every local service")
    sub.add_parser("status", help="show the local services")
    sub.add_parser("demo", help="set up and run the pipeline on the simulator")
    tests = sub.add_parser("run-tests", help="run pytest with the services it needs")
    tests.add_argument("pytest_args", nargs=argparse.REMAINDER)
    bench = sub.add_parser("run-bench", help="run the benchmarks")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    try:
        if args.command == "pg":
            pg_cluster = local.cluster()
            if args.action == "start":
                started = pg_cluster.start()
                print(f"PostgreSQL {'started' if started else 'already running'}: {pg_cluster.status()}")
            elif args.action == "stop":
                print("PostgreSQL stopped." if pg_cluster.stop() else "PostgreSQL was not running.")
            else:
                print(f"PostgreSQL {pg_cluster.status()}")
        elif args.command == "setup":
            local.setup()
        elif args.command == "airflow":
            local.setup()
            local.up()
        elif args.command == "down":
            local.down()
        elif args.command == "status":
            local.status()
        elif args.command == "demo":
            from finops.devenv.demo import run_demo

            return run_demo()
        elif args.command == "run-tests":
            return local.run_tests([a for a in args.pytest_args if a != "--"])
        elif args.command == "run-bench":
            from finops.bench import main as bench_main

            return bench_main([a for a in args.bench_args if a != "--"])
    except FinopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``make chaos`` / ``python -m finops.chaos [--fast]``: the fault matrix against real services.

Starts (or reuses) the embedded PostgreSQL with its own database ``finops_chaos``, moto's KMS over
HTTP and the simulator over HTTP, then runs each fault and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time


def _services(stack: list):
    from finops.devenv import local
    from finops.devenv.kms import ensure_key
    from finops.devenv.moto import threaded_server_class
    from finops.simulator.config import AdminKey, Organization, ProjectConfig, SimulatorConfig, random_key
    from finops.simulator.server import run_in_thread

    cluster = local.cluster()
    if cluster.start():
        stack.append(cluster.stop)
    import psycopg

    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "finops_chaos" WITH (FORCE)')
        conn.execute('CREATE DATABASE "finops_chaos"')
    os.environ["AIRFLOW_CONN_FINOPS_DB"] = json.dumps({
        "conn_type": "postgres", "host": cluster.host, "port": cluster.port, "schema": "finops_chaos",
        "login": cluster.user, "password": cluster.password})
    from finops.warehouse import migrate

    migrate.upgrade("head")
    kms = threaded_server_class()(ip_address="127.0.0.1", port=0, verbose=False)
    kms.start()
    stack.append(kms.stop)
    host, port = kms.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AIRFLOW_CONN_AWS_KMS"] = json.dumps({"conn_type": "aws", "login": "testing", "password": "testing",
                                                     "extra": {"region_name": "us-east-1", "endpoint_url": endpoint}})
    os.environ["AIRFLOW_VAR_FINOPS_KMS_KEY_ID"] = "alias/finops-admin-keys"
    ensure_key(endpoint, "alias/finops-admin-keys")
    key = random_key()
    config = SimulatorConfig(organizations=[Organization(
        id="org-chaos", name="chaos", seed=77, keys=[AdminKey(key=key)],
        projects=[ProjectConfig(id="proj_chaosA", name="A"), ProjectConfig(id="proj_chaosB", name="B")])])
    base_url, stop = run_in_thread(config)
    stack.append(stop)

    def restart() -> None:
        cluster.stop()
        cluster.start()

    from finops.chaos.matrix import ChaosEnv

    return ChaosEnv(simulator_url=base_url, simulator_config=config, org_id="org-chaos", api_key=key,
                    pg_url=cluster.url("finops_chaos"), kms_endpoint=endpoint, restart_postgres=restart)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m finops.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="only the faults `make test` runs too")
    parser.add_argument("--only", default="", help="comma-separated fault names (functions of finops/chaos/matrix.py)")
    parser.add_argument("--no-scheduler", action="store_true",
                        help="skip the faults that start an Airflow scheduler (a few minutes more)")
    args = parser.parse_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    from finops.chaos.matrix import FAST, SCHEDULER_FAULTS, SLOW, Row, format_table, run
    from finops.devenv.local import local_dir

    stack: list = []
    started = time.perf_counter()
    try:
        env = _services(stack)
        def log(message: str) -> None:
            print(message, file=sys.stderr, flush=True)

        cases = FAST if args.fast else FAST + SLOW
        only = {n.strip() for n in args.only.split(",") if n.strip()}
        if only:
            cases = [c for c in cases if c.__name__ in only]
        rows = run(env, cases, log)
        if not args.fast and not args.no_scheduler and not only:
            from finops.chaos.scheduler import scheduler_faults

            try:
                rows += scheduler_faults(env, local_dir() / "chaos", log)
            except Exception as exc:  # noqa: BLE001 - report, do not hide the other rows
                rows += [Row(name, "-", f"harness error: {type(exc).__name__}: {str(exc)[:200]}", -1, -1, False)
                         for name in SCHEDULER_FAULTS]
    finally:
        while stack:
            try:
                stack.pop()()
            except Exception as exc:  # keep stopping the rest
                print(f"warning: stopping a chaos service failed: {exc}", file=sys.stderr)
    if not args.fast and args.no_scheduler and not args.only:
        rows += [Row(name, "-", "not run (--no-scheduler)", 0, 0, False) for name in SCHEDULER_FAULTS]
    print(f"\nFault matrix, {time.strftime('%Y-%m-%d')}, {platform.node()} ({os.cpu_count()} CPUs, "
          f"{platform.python_version()}), {time.perf_counter() - started:.0f} s\n")
    print(format_table(rows))
    bad = [r for r in rows if r.rows_lost or r.rows_duplicated or (not r.totals_equal and "not run" not in r.outcome)]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""The faults and how each is injected, retried and judged against the simulator's exact totals."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from finops import money
from finops.chaos.proxy import Fault, FaultProxy

TEAM = "chaos"
WINDOW = (date(2026, 2, 1), date(2026, 2, 8))
#: The ``openai_api`` extra under chaos: real retries, tiny waits, a 2 s read timeout.
CONNECTION_EXTRA = {"connect_timeout": 2, "read_timeout": 2, "max_retries": 3, "backoff_base_seconds": 0.001,
                    "backoff_max_seconds": 0.01, "retry_after_max_seconds": 0, "max_retry_seconds": 30}


@dataclass
class Row:
    fault: str
    injected: str
    outcome: str
    rows_lost: int
    rows_duplicated: int
    totals_equal: bool

    def cells(self) -> tuple[str, ...]:
        return (self.fault, self.injected, self.outcome, str(self.rows_lost), str(self.rows_duplicated),
                "yes" if self.totals_equal else "NO")


HEADER = ("fault", "injected", "outcome", "rows lost", "rows duplicated", "totals = simulator")


def format_table(rows: list[Row]) -> str:
    cells = [HEADER, *(r.cells() for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]

    def line(values) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(HEADER), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(c) for c in cells[1:])])


@dataclass
class ChaosEnv:
    """The services a fault runs against: the warehouse (``finops_db``), KMS, the simulator and a proxy."""

    simulator_url: str
    simulator_config: Any
    org_id: str
    api_key: str
    pg_url: str
    kms_endpoint: str
    proxy: FaultProxy | None = None
    restart_postgres: Callable[[], None] | None = None
    extra_expected: dict = field(default_factory=dict)

    # -- set-up --------------------------------------------------------------------------------
    def register_team(self) -> None:
        import psycopg

        from finops.registry import Registry

        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            conn.execute("TRUNCATE finops.alerts, finops.collection_streaks, finops.success_rates, finops.cost_data, "
                         "finops.usage_data, "
                         "finops.collection_run_days, finops.collection_runs, finops.audit_log, finops.admin_keys, "
                         "finops.projects, finops.teams RESTART IDENTITY CASCADE")
        registry = Registry()
        registry.add_team(TEAM, "cli:chaos")
        registry.register_key(TEAM, self.api_key, "cli:chaos", verify=False)
        for project in self.simulator_config.organization(self.org_id).projects:
            registry.add_project(TEAM, project.id, "cli:chaos", verify=False)

    @contextmanager
    def through_proxy(self, page_days: int | None = 1, read_timeout: float | None = None) -> Iterator[FaultProxy]:
        """``openai_api`` points at a fresh fault proxy for the block (one bucket per page by default)."""
        proxy = FaultProxy(self.simulator_url, page_days=page_days).start()
        previous = os.environ.get("AIRFLOW_CONN_OPENAI_API")
        extra = {**CONNECTION_EXTRA, **({"read_timeout": read_timeout} if read_timeout else {})}
        os.environ["AIRFLOW_CONN_OPENAI_API"] = json.dumps({"conn_type": "http", "host": proxy.url, "extra": extra})
        self.proxy = proxy
        try:
            yield proxy
        finally:
            proxy.stop()
            self.proxy = None
            if previous is None:
                os.environ.pop("AIRFLOW_CONN_OPENAI_API", None)
            else:
                os.environ["AIRFLOW_CONN_OPENAI_API"] = previous

    # -- actions and measures ------------------------------------------------------------------
    def collect(self, run_id: str) -> str:
        """One collection attempt of the team's window, as a task runs it: the outcome in words."""
        from finops.collection import collect_team
        from finops.errors import FinopsError
        from finops.warehouse.loader import Window

        try:
            result = collect_team(TEAM, Window(*WINDOW), dag_run_id=run_id)
        except FinopsError as exc:
            kind = "retryable" if exc.retryable else "permanent"
            return f"failed ({kind}, {type(exc).__name__}): {first_sentence(str(exc))}"
        except Exception as exc:  # noqa: BLE001 - the matrix reports it rather than dying
            return f"failed (unexpected {type(exc).__name__}): {first_sentence(str(exc))}"
        return f"completed ({result.rows} rows, {result.requests} requests, {result.retries} retries)"

    def expected(self) -> dict:
        from finops.simulator.data import expected_costs

        org = self.simulator_config.organization(self.org_id)
        totals = {k: v for k, v in expected_costs(self.simulator_config, self.org_id, *WINDOW,
                                                  [p.id for p in org.projects]).items() if v is not None}
        if self.extra_expected:
            replaced = {k[0] for k in self.extra_expected}
            totals = {k: v for k, v in totals.items() if k[0] not in replaced} | self.extra_expected
        return totals

    def measure(self) -> tuple[int, int, bool]:
        """(rows lost, rows duplicated, totals equal) of the team's window against the simulator."""
        import psycopg

        with psycopg.connect(self.pg_url) as conn:
            rows = conn.execute(
                "SELECT usage_date, project_id, line_item, currency, api_key_id, amount FROM finops.cost_data "
                "WHERE team_id = %s AND usage_date >= %s AND usage_date < %s", (TEAM, *WINDOW)).fetchall()
        loaded: dict = {}
        seen: set = set()
        duplicated = 0
        for day, project, item, currency, api_key_id, amount in rows:
            key = (day, project, item, currency)
            if (*key, api_key_id) in seen:  # the natural key: a row per API key of a line item is not a duplicate
                duplicated += 1
            seen.add((*key, api_key_id))
            loaded[key] = money.add(loaded.get(key, Decimal(0)), amount)
        expected = self.expected()
        lost = len(set(expected) - set(loaded))
        return lost, duplicated, loaded == expected


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    for end in (". ", "; "):
        if end in text:
            text = text.split(end, 1)[0] + end.strip()
            break
    return text[:160]


# -- the faults ---------------------------------------------------------------------------------------
FaultCase = Callable[[ChaosEnv], Row]


def retried(first: str) -> bool:
    """Whether the task retries after this outcome (as collect_teams_task: permanent errors fail at once)."""
    return first.startswith("failed") and not first.startswith("failed (permanent")


def _with_retry(env: ChaosEnv, name: str, injected: str, faults: list[Fault], *, task_retry: bool,
                page_days: int | None = 1, clear_before_retry: bool = True) -> Row:
    """Baseline load, then an attempt under the faults, then (if it failed) the task's retry without them."""
    env.register_team()
    with env.through_proxy(page_days) as proxy:
        env.collect("chaos-baseline")
        proxy.inject(*faults)
        first = env.collect(f"chaos-{name}")
        outcome = first
        if retried(first) and task_retry:
            if clear_before_retry:
                proxy.clear()
            second = env.collect(f"chaos-{name}")
            outcome = f"{first} -> task retry: {second}"
    lost, dup, equal = env.measure()
    return Row(name, injected, outcome, lost, dup, equal)


def connection_reset(env: ChaosEnv) -> Row:
    return _with_retry(env, "connection reset mid-body", "RST after half of page 3's body",
                       [Fault("delay"), Fault("delay"), Fault("reset")], task_retry=True)


def truncated_body(env: ChaosEnv) -> Row:
    return _with_retry(env, "truncated JSON body", "page 2 cut in half (valid HTTP, broken JSON)",
                       [Fault("delay"), Fault("truncate")], task_retry=True)


def read_timeout(env: ChaosEnv) -> Row:
    return _with_retry(env, "read timeout", "page 1 answers after 3 s (read timeout 2 s)",
                       [Fault("delay", seconds=3)], task_retry=True)


def server_error_storm(env: ChaosEnv) -> Row:
    from finops.defaults import MAX_TEAM_REQUESTS_IN_FLIGHT

    # A team's usage and key-list requests may run side by side (finops_team_requests_in_flight): the storm
    # outlasts the retries of each one in flight at the most the variable allows.
    storm = [Fault("status", status=503)] * ((CONNECTION_EXTRA["max_retries"] + 2) * MAX_TEAM_REQUESTS_IN_FLIGHT)
    return _with_retry(env, "5xx storm longer than retries", f"{len(storm)} x HTTP 503 in a row, then recovery",
                       list(storm), task_retry=True)


def looping_cursor(env: ChaosEnv) -> Row:
    return _with_retry(env, "cursor that loops", "next_page repeats the same cursor forever",
                       [Fault("loop")] * 20, task_retry=False)


def buckets_outside_window(env: ChaosEnv) -> Row:
    return _with_retry(env, "buckets outside the window", "an extra bucket the day before the window",
                       [Fault("outside")], task_retry=False, page_days=None)


def kms_unreachable(env: ChaosEnv) -> Row:
    env.register_team()
    with env.through_proxy():
        env.collect("chaos-baseline")
        saved = os.environ["AIRFLOW_CONN_AWS_KMS"]
        dead = json.loads(saved)
        dead["extra"] = {**dead.get("extra", {}), "endpoint_url": "http://127.0.0.1:9",
                         "config_kwargs": {"connect_timeout": 1, "read_timeout": 1, "retries": {"max_attempts": 1}}}
        os.environ["AIRFLOW_CONN_AWS_KMS"] = json.dumps(dead)
        try:
            first = env.collect("chaos-kms")
        finally:
            os.environ["AIRFLOW_CONN_AWS_KMS"] = saved
        second = env.collect("chaos-kms") if retried(first) else "no task retry (permanent)"
    lost, dup, equal = env.measure()
    return Row("KMS unreachable, then back", "aws_kms endpoint on a closed port for one attempt",
               f"{first} -> task retry: {second}", lost, dup, equal)


def warehouse_read_only(env: ChaosEnv) -> Row:
    env.register_team()
    with env.through_proxy():
        env.collect("chaos-baseline")
        saved = os.environ["AIRFLOW_CONN_FINOPS_DB"]
        conn = json.loads(saved)
        conn["extra"] = {**conn.get("extra", {}), "options": "-c default_transaction_read_only=on"}
        os.environ["AIRFLOW_CONN_FINOPS_DB"] = json.dumps(conn)
        try:
            first = env.collect("chaos-readonly")
        finally:
            os.environ["AIRFLOW_CONN_FINOPS_DB"] = saved
        second = env.collect("chaos-readonly") if retried(first) else "no task retry (permanent)"
    lost, dup, equal = env.measure()
    return Row("warehouse refuses writes", "read-only transactions for one attempt",
               f"{first} -> task retry: {second}", lost, dup, equal)


def concurrent_runs(env: ChaosEnv) -> Row:
    env.register_team()
    with env.through_proxy() as proxy:
        env.collect("chaos-baseline")
        proxy.inject(*[Fault("delay", seconds=0.05)] * 14)  # both loads overlap page by page
        outcomes: dict[str, str] = {}

        def run(run_id: str) -> None:
            outcomes[run_id] = env.collect(run_id)

        threads = [threading.Thread(target=run, args=(r,)) for r in ("manual__chaos", "scheduled__chaos")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    lost, dup, equal = env.measure()
    return Row("same window, manual + scheduled run at once", "two collections of the team's window in parallel",
               "; ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())), lost, dup, equal)


def postgres_restart(env: ChaosEnv) -> Row:
    if env.restart_postgres is None:
        return Row("PostgreSQL restarted mid-load", "-", "not run (no restart hook)", 0, 0, False)
    env.register_team()
    with env.through_proxy() as proxy:
        env.collect("chaos-baseline")
        proxy.inject(*[Fault("delay", seconds=0.5)] * 7)
        restarter = threading.Timer(1.2, env.restart_postgres)  # while page 3 of 7 is in flight
        restarter.start()
        first = env.collect("chaos-pg")
        restarter.join()
        time.sleep(0.5)
        second = env.collect("chaos-pg") if retried(first) else "no task retry (permanent)"
    lost, dup, equal = env.measure()
    return Row("PostgreSQL restarted mid-load", "pg_ctl restart (fast) while page 3 of 7 is in flight",
               f"{first} -> task retry: {second}", lost, dup, equal)


def big_page(env: ChaosEnv, results: int = 100_000) -> Row:
    env.register_team()
    # The proxy builds the page in Python (seconds): a read timeout to match, so the page itself is loaded.
    with env.through_proxy(page_days=None, read_timeout=120) as proxy:
        env.collect("chaos-baseline")
        proxy.inject(Fault("big", results=results))
        started = time.perf_counter()
        outcome = env.collect("chaos-big")
        took = time.perf_counter() - started
        env.extra_expected = dict(proxy.served_extra)
    try:
        lost, dup, equal = env.measure()
    finally:
        env.extra_expected = {}
    return Row(f"a page of {results:,} results", f"day 1's bucket replaced by {results:,} results",
               f"{outcome} in {took:.1f} s", lost, dup, equal)


#: Faults cheap enough for every `make test` (seconds each, no service restarted).
FAST: list[FaultCase] = [connection_reset, truncated_body, read_timeout, server_error_storm, looping_cursor,
                         buckets_outside_window, kms_unreachable, warehouse_read_only, concurrent_runs]
#: Faults only `make chaos` runs (a database restart, a large page).
SLOW: list[FaultCase] = [postgres_restart, big_page]
#: Faults run under a real scheduler (finops/chaos/scheduler.py; `make chaos` without --fast).
SCHEDULER_FAULTS = ["worker SIGKILLed mid-load under a scheduler", "scheduler restarted mid-run"]


def run(env: ChaosEnv, cases: list[FaultCase], log: Callable[[str], None] = print) -> list[Row]:
    rows = []
    for case in cases:
        started = time.perf_counter()
        try:
            row = case(env)
        except Exception as exc:  # noqa: BLE001 - one broken case must not hide the others
            row = Row(case.__name__, "-", f"harness error: {type(exc).__name__}: {first_sentence(str(exc))}", -1, -1,
                      False)
        log(f"[chaos] {row.fault}: {row.outcome} ({time.perf_counter() - started:.1f} s)")
        rows.append(row)
    return rows


__all__ = ["FAST", "SCHEDULER_FAULTS", "SLOW", "ChaosEnv", "Row", "format_table", "run", "timedelta"]

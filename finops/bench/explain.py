"""What a collection run's time is made of, printed by the ``daily`` and ``backfill`` cases (issue 28).

- **CPU seconds per process group**, over the run: the pipeline (``airflow dags test`` and every process it
  waited for: ``getrusage(RUSAGE_CHILDREN)``), the simulator (its own process and its page generators, from
  ``/proc``), the local KMS (moto's server threads: the bench process's CPU less the idle main
  thread's), and PostgreSQL (the postmaster, its live backends and the ones that ended, warehouse and Airflow
  metadata).
- **Wall-clock per step**, from Airflow's metadata database (each task instance's start and end) and the
  ``timings`` XCom of every ``collect_team`` instance (finops.timings: seconds per step in each team's thread,
  apportioned to the instances' wall time in proportion, since 4 threads overlap).
- **PostgreSQL's time per statement** (``pg_stat_statements``, when the bench started the server with
  :data:`SERVER_SETTINGS`): the run's top statements by backend time.
- **The computed limit**: Airflow's fixed start-up and teardown measured in this run + requests x latency /
  concurrency + rows / the bare COPY rate measured on this run's own rows.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

Log = Callable[[str], None]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: Rows of the run's own cost rows copied back by the bare COPY (enough for a steady rate, bounded memory).
COPY_SAMPLE_ROWS = 200_000
#: The team steps (finops.timings) in the order a team runs them, with what each covers.
TEAM_STEPS = {
    "client": "API client per team",
    "registry": "registry reads (scopes, ciphertext)",
    "kms_decrypt": "KMS decrypt",
    "fetch": "HTTP requests (costs, usage, keys)",
    "parse": "parse cost pages",
    "usage": "normalise usage",
    "keys": "read key lists",
    "side_wait": "wait for the team's side-by-side requests",
    "spool": "spool (+ connection)",
    "load": "load transaction (costs, run records)",
    "load_usage": "load usage rows (in the transaction)",
    "load_keys": "load key list (in the transaction)",
    "rollups": "rollup changes (batched)",
    "other": "rest of collect_team",
}


# -- CPU ----------------------------------------------------------------------------------------
def _thread_cpu(native_id: int | None) -> float:
    if native_id is None:
        return 0.0
    try:
        fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _proc_stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _tree_cpu(pid: int | None) -> float:
    """A process's CPU, its ended children's (reaped: cutime/cstime) and its live children's: the postmaster and
    its backends, the simulator and its page generators."""
    if not pid:
        return 0.0
    main = _proc_stat(pid)
    if main is None:
        return 0.0
    ticks = sum(int(v) for v in main[11:15])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != pid:
            fields = _proc_stat(int(entry.name))
            if fields is not None and fields[1] == str(pid):  # field 4: the parent's pid
                ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    pipeline: float
    simulator: float
    kms: float
    postgres: float
    at: float

    @classmethod
    def take(cls, postgres_pid: int | None, simulator_pid: int | None = None) -> CpuSnapshot:
        """The counters now; ``simulator_pid``: the simulator's process (finops.bench.env.BenchEnv)."""
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        main = _thread_cpu(threading.main_thread().native_id)
        return cls(pipeline=children.ru_utime + children.ru_stime, simulator=_tree_cpu(simulator_pid),
                   kms=own.ru_utime + own.ru_stime - main, postgres=_tree_cpu(postgres_pid),
                   at=time.perf_counter())

    def since(self, before: CpuSnapshot) -> dict[str, float]:
        return {"pipeline": self.pipeline - before.pipeline, "simulator": self.simulator - before.simulator,
                "kms": self.kms - before.kms, "postgres": self.postgres - before.postgres,
                "wall": self.at - before.at}


def postgres_pid() -> int | None:
    from finops.devenv import local

    return local.cluster().running_pid()


# -- PostgreSQL's time per statement (pg_stat_statements) --------------------------------------------
#: The bench's PostgreSQL settings (finops.bench.env starts the server with them when it starts it): the statements'
#: times, so a run's PostgreSQL CPU can be traced to its statements.
SERVER_SETTINGS = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all"}


@dataclass(frozen=True)
class Statement:
    database: str
    calls: int
    total_ms: float
    rows: int
    query: str


def _maintenance(pg_url: str) -> str:
    """The cluster's ``postgres`` database: the extension lives there, out of the warehouse's schema (its view shows
    every database's statements)."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(pg_url, dbname="postgres")


def statements_reset(pg_url: str) -> bool:
    """Forget the statements' times so far; False when pg_stat_statements is not loaded (the server was already
    running when the bench began, without :data:`SERVER_SETTINGS`)."""
    import psycopg

    with psycopg.connect(_maintenance(pg_url), autocommit=True) as conn:
        loaded = conn.execute("SELECT 'pg_stat_statements' = ANY(regexp_split_to_array(current_setting("
                              "'shared_preload_libraries'), '\\s*,\\s*'))").fetchone()[0]
        if not loaded:
            return False
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")
    return True


def autovacuum_counts(pg_url: str) -> dict[str, tuple[int, int]]:
    """Per table of the warehouse, how often autovacuum has vacuumed and analyzed it so far (pg_stat_user_tables):
    taken before and after a timed run, the difference says what maintenance ran beside it."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        return {name: (vacuums, analyzes) for name, vacuums, analyzes in conn.execute(
            "SELECT relname, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables WHERE schemaname = 'finops'")}


def autovacuum_since(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> str:
    """The tables autovacuum worked on between two :func:`autovacuum_counts`, as text ("none" when it did not)."""
    done = []
    for name, (vacuums, analyzes) in sorted(after.items()):
        was = before.get(name, (0, 0))
        parts = [f"{n} {what}" for n, what in ((vacuums - was[0], "vacuum"), (analyzes - was[1], "analyze")) if n]
        if parts:
            done.append(f"{name} ({', '.join(parts)})")
    return ", ".join(done) or "none"


def top_statements(pg_url: str, limit: int = 15) -> list[Statement]:
    """The statements that took the most backend time since :func:`statements_reset`."""
    import psycopg

    from finops import paths

    with psycopg.connect(_maintenance(pg_url)) as conn:
        rows = conn.execute(paths.sql("bench/top_statements"), {"limit": limit}).fetchall()
    return [Statement(db, int(calls), float(ms), int(n), query) for db, calls, ms, n, query in rows]


def statements_table(statements: list[Statement], width: int = 140) -> list[str]:
    if not statements:
        return ["PostgreSQL's statements: not measured (pg_stat_statements not loaded: stop PostgreSQL before the bench)"]
    lines = ["PostgreSQL's statements by backend time (pg_stat_statements, this run, top "
             f"{len(statements)}; a trigger's or function's statements also inside their caller's):",
             "| database | calls | total s | rows | statement |", "|---|---|---|---|---|"]
    for st in statements:
        text = st.query if len(st.query) <= width else st.query[:width - 3] + "..."
        lines.append(f"| {st.database} | {st.calls:,} | {st.total_ms / 1000:.1f} | {st.rows:,} | "
                     f"{text.replace('|', '/')} |")
    return lines


# -- steps from Airflow's metadata database -------------------------------------------------------
@dataclass
class RunSteps:
    """One DAG run's task instances and collect_team timings."""

    run_id: str = ""
    launched: float = 0.0
    tasks: list[tuple[str, int, float, float, str]] = field(default_factory=list)  # task, map, start, end, state
    team_steps: dict[str, dict] = field(default_factory=dict)  # summed over teams: seconds, counts
    task_steps: dict[str, float] = field(default_factory=dict)  # summed over collect_team instances
    threads: int = 0
    teams: int = 0


def metadata_url() -> str:
    url = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    return url.replace("postgresql+psycopg2://", "postgresql://").replace("postgresql+psycopg://", "postgresql://")


def read_run(dag_id: str, since: datetime, launched_epoch: float) -> RunSteps:
    """The latest run of ``dag_id`` started after ``since`` (UTC): its task instances and timings XComs."""
    import json

    import psycopg

    from finops.timings import merge

    steps = RunSteps(launched=launched_epoch)
    url = metadata_url()
    if not url.startswith("postgresql://"):
        return steps
    with psycopg.connect(url, autocommit=True) as conn:
        # dags test's dag_run.start_date is its logical date: the run is the newest one that ended after ``since``.
        row = conn.execute("SELECT run_id FROM dag_run WHERE dag_id = %s AND end_date >= %s "
                           "ORDER BY id DESC LIMIT 1", (dag_id, since)).fetchone()
        if row is None:
            return steps
        steps.run_id = row[0]
        for task_id, map_index, start, end, state in conn.execute(
                "SELECT task_id, map_index, start_date, end_date, state FROM task_instance "
                "WHERE dag_id = %s AND run_id = %s AND start_date IS NOT NULL", (dag_id, steps.run_id)):
            steps.tasks.append((task_id, map_index, start.timestamp(), (end or start).timestamp(), str(state)))
        for (value,) in conn.execute("SELECT value FROM xcom WHERE dag_id = %s AND run_id = %s "
                                     "AND task_id = 'collect_team' AND key = 'timings'", (dag_id, steps.run_id)):
            found = value if isinstance(value, dict) else json.loads(value)
            if isinstance(found, str):
                found = json.loads(found)
            merge(steps.team_steps, found.get("teams") or {})
            for k, v in (found.get("task") or {}).items():
                if k == "threads":
                    steps.threads = max(steps.threads, int(v))
                else:
                    steps.task_steps[k] = steps.task_steps.get(k, 0.0) + float(v)
            steps.teams += int(found.get("team_count") or 0)
    steps.tasks.sort(key=lambda t: t[2])
    return steps


GROUPS = {"list_active_teams": "team list", "plan_window": "team list", "batch_teams": "team list",
          "check_data_quality": "quality", "check_success_rate": "success rate", "publish_costs": "Asset event",
          "alert_teams": "team alerts", "watch_gates": "watch gates"}


def wall_breakdown(steps: RunSteps, total_s: float) -> list[tuple[str, float]]:
    """(step, wall seconds) summing to the run's wall time ``total_s``."""
    if not steps.tasks:
        return [("not read from Airflow's metadata database", total_s)]
    first = min(t[2] for t in steps.tasks)
    last = max(t[3] for t in steps.tasks)
    out: dict[str, float] = {"start-up (launch -> first task)": max(0.0, first - steps.launched)}
    busy = 0.0
    collect_wall = 0.0
    for task_id, _, start, end, _ in steps.tasks:
        busy += end - start
        if task_id == "collect_team":
            collect_wall += end - start
        else:
            name = GROUPS.get(task_id, task_id)
            out[name] = out.get(name, 0.0) + end - start
    # collect_team: its own steps, then the team steps apportioned to the pool's wall time.
    pool_wall = steps.task_steps.get("teams", 0.0)
    # The team threads' steps sum to their wall time; the helper threads' ("side ...") overlap side_wait.
    team_seconds = {k: v for k, v in (steps.team_steps.get("seconds") or {}).items() if not k.startswith("side ")}
    thread_total = sum(team_seconds.values()) or 1.0
    for name in TEAM_STEPS:
        if name in team_seconds:
            out[f"collect: {TEAM_STEPS[name]}"] = pool_wall * team_seconds[name] / thread_total
    out["collect: task set-up (retry check, drop guard)"] = steps.task_steps.get("setup", 0.0)
    out["collect: KMS client per task"] = steps.task_steps.get("kms_client", 0.0)
    out["collect: rollups flush + orphan check"] = steps.task_steps.get("rollups", 0.0)
    out["collect: silent-project checks"] = steps.task_steps.get("silent_projects", 0.0)
    accounted = pool_wall + sum(steps.task_steps.get(k, 0.0) for k in ("setup", "kms_client", "rollups",
                                                                          "silent_projects"))
    out["collect: Airflow task overhead (instance wall - the above)"] = max(0.0, collect_wall - accounted)
    # Between tasks (Airflow's scheduling loop in dags test), and after the last one.
    span = last - first
    out["between tasks (Airflow)"] = max(0.0, span - busy)
    out["teardown (last task -> exit)"] = max(0.0, total_s - (last - steps.launched))
    return list(out.items())


# -- the bare COPY rate on this run's rows -------------------------------------------------------
def bare_copy_rate(pg_url: str) -> tuple[float, int]:
    """Rows/s of a bare binary COPY (psycopg ``write_row``, the loader's types) of up to COPY_SAMPLE_ROWS of the
    run's own cost rows into an empty copy of ``cost_data`` (same indexes); (0, 0) when there are none."""
    import psycopg

    from finops import paths
    from finops.warehouse.loader import COPY_TYPES

    columns = ("team_id, usage_date, project_id, line_item, currency, amount, quantity, quantity_unit, "
               "organization_id, collected_at, dag_run_id, collection_run_id, provider, model, token_type, cost_type, "
               "service_tier, context_window, inference_geo, api_key_id, allocated")
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(f"SELECT {columns} FROM finops.cost_data LIMIT %s",  # noqa: S608 - constant columns
                            (COPY_SAMPLE_ROWS,)).fetchall()
        if not rows:
            return 0.0, 0
        conn.execute("CREATE TEMP TABLE bench_copy (LIKE finops.cost_data INCLUDING ALL) ON COMMIT DROP")
        sql = paths.sql("collection/copy_cost_rows").replace("finops.cost_data", "bench_copy")
        started = time.perf_counter()
        with conn.cursor().copy(sql) as copy:
            copy.set_types(COPY_TYPES)
            for row in rows:
                copy.write_row(row)
        elapsed = time.perf_counter() - started
        conn.rollback()
    return len(rows) / elapsed, len(rows)


# -- printing ------------------------------------------------------------------------------------
def load_average() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


@dataclass
class Explained:
    label: str
    wall_s: float
    cpu: dict[str, float]
    steps: RunSteps
    requests: int
    cost_rows: int
    usage_rows: int
    teams: int
    load_before: str
    load_after: str
    statements: list[Statement] = field(default_factory=list)

    def computed_limit(self, latency_s: float, concurrency: int, copy_rate: float) -> tuple[float, dict[str, float]]:
        breakdown = wall_breakdown(self.steps, self.wall_s)
        fixed = sum(v for k, v in breakdown if k.startswith(("start-up", "teardown")))
        parts = {"Airflow start-up + teardown (this run)": fixed,
                 f"requests x latency / concurrency ({self.requests} x {latency_s * 1000:.0f} ms / {concurrency})":
                     self.requests * latency_s / concurrency,
                 f"rows / bare COPY rate ({self.cost_rows + self.usage_rows:,} / {copy_rate:,.0f} rows/s)":
                     (self.cost_rows + self.usage_rows) / copy_rate if copy_rate else 0.0}
        return sum(parts.values()), parts

    def report(self, latency_s: float, concurrency: int, copy_rate: float) -> str:
        lines = [f"### {self.label}: {self.wall_s:.1f} s wall ({self.load_before} before, {self.load_after} after)"]
        cpu = self.cpu
        total_cpu = sum(cpu[k] for k in ("pipeline", "simulator", "kms", "postgres"))
        lines.append(f"CPU seconds: pipeline (dags test and children) {cpu['pipeline']:.1f}, PostgreSQL "
                     f"{cpu['postgres']:.1f}, simulator {cpu['simulator']:.1f}, KMS (moto) {cpu['kms']:.1f}; "
                     f"total {total_cpu:.1f} of {2 * self.wall_s:.1f} core-seconds on {os.cpu_count()} cores "
                     f"(stand-ins {cpu['simulator'] + cpu['kms']:.1f})")
        t = max(self.teams, 1)
        counts = self.steps.team_steps.get("counts") or {}
        by_kind = ", ".join(f"{k.split(':', 1)[1]} {v / t:.1f}" for k, v in sorted(counts.items())
                            if k.startswith("requests:"))
        written = ", ".join(f"{v / t:,.0f} {k.split(':', 1)[1]}" for k, v in sorted(counts.items())
                            if k.startswith("usage_rows:"))
        lines.append(f"per team: {self.requests / t:.1f} requests ({by_kind or 'by kind not read'}), "
                     f"{self.cost_rows / t:,.0f} cost rows, {self.usage_rows / t:,.0f} usage rows"
                     + (f" ({written})" if written else ""))
        lines.append("| step | wall s | share |")
        lines.append("|---|---|---|")
        for name, seconds in wall_breakdown(self.steps, self.wall_s):
            lines.append(f"| {name} | {seconds:.2f} | {seconds / self.wall_s:.1%} |")
        team_seconds = self.steps.team_steps.get("seconds") or {}
        if team_seconds:
            lines.append("thread-seconds of the team steps (summed over "
                         f"{self.steps.teams} teams, {self.steps.threads} threads a task): "
                         + ", ".join(f"{k} {v:.1f}" for k, v in sorted(team_seconds.items(), key=lambda kv: -kv[1])))
        limit, parts = self.computed_limit(latency_s, concurrency, copy_rate)
        lines.append(f"computed limit {limit:.1f} s = " + " + ".join(f"{k} {v:.1f} s" for k, v in parts.items()))
        lines.append(f"run / computed limit = {self.wall_s:.1f} / {limit:.1f} = {self.wall_s / limit:.2f}")
        lines.extend(statements_table(self.statements))
        return "\n".join(lines)


def run_counts(pg_url: str, since: datetime) -> tuple[int, int, int, int]:
    """(teams with a successful run, requests, cost rows, usage rows) of the runs started since ``since``: the rows
    in their windows (with ``--day-after-day`` the warehouse also holds the previous day's run)."""
    import psycopg

    with psycopg.connect(pg_url) as conn:
        ok, requests, first, last = conn.execute(
            "SELECT count(DISTINCT team_id) FILTER (WHERE status = 'success'), coalesce(sum(requests), 0), "
            "min(window_start), max(window_end) FROM finops.collection_runs WHERE started_at >= %s", (since,)).fetchone()
        window = (first, last)
        rows = conn.execute("SELECT count(*) FROM finops.cost_data WHERE usage_date >= %s AND usage_date < %s",
                            window).fetchone()[0]
        usage = conn.execute("SELECT count(*) FROM finops.usage_data WHERE usage_date >= %s AND usage_date < %s",
                             window).fetchone()[0]
    return ok, int(requests), rows, usage


def rows_per_key_grouping(env, teams: list[str], start, end, sample: int = 5) -> tuple[float, float]:
    """Cost rows per team from the simulator without and with the API key grouping (first ``sample`` teams)."""
    from finops.costs.client import CostsClient

    before = after = 0
    chosen = teams[:sample]
    with CostsClient() as client:
        for team in chosen:
            key = env.keys[team]
            before += sum(1 for r in client.costs(key, start, end, None, by_api_key=False) if start <= r.usage_date < end)
            after += sum(1 for r in client.costs(key, start, end, None, by_api_key=True) if start <= r.usage_date < end)
    return before / len(chosen), after / len(chosen)

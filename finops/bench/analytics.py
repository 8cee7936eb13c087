"""The ``analytics`` case: the overview, the team page, ``finops report`` and rollup maintenance at scale.

A warehouse of ``--analytics-teams`` x ``--analytics-days`` x 18 cost rows (1,000 x 365 is about 6.5
million) is generated in SQL, the rollups are built, and each question is timed (best of 5, warm) next
to the same question answered by a plain GROUP BY over cost_data (views in schema ``plain``). Opt-in:
``make bench BENCH_ARGS="--case analytics"`` (several minutes).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from finops import paths
from finops.bench import Measurement, verdict
from finops.bench.cli import report_measurements
from finops.bench.env import BenchEnv

Log = Callable[[str], None]
ROWS_PER_TEAM_DAY = 18
DAILY_WINDOW_DAYS = 3  # a daily run: its day plus the 2-day look-back


def _best(run: Callable[[], object], repeat: int = 5) -> float:
    run()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return min(samples)


@contextmanager
def _plain():
    """Point the analytics queries at the plain GROUP BY views instead of the rollups."""
    from finops.analytics import report

    report.ROLLUP_SCHEMA, report.MONTHLY = "plain", False
    try:
        yield
    finally:
        report.ROLLUP_SCHEMA, report.MONTHLY = "finops", True


def _pair(name: str, run: Callable[[], object], target_s: float, log: Log, note: str = "") -> Measurement:
    rollup = _best(run)
    with _plain():
        plain = _best(run, repeat=2)
    log(f"analytics: {name}: {rollup * 1000:.0f} ms (plain GROUP BY {plain * 1000:.0f} ms)")
    return Measurement(f"analytics: {name}", f"{rollup * 1000:.0f} ms", f"plain GROUP BY {plain * 1000:.0f} ms",
                       rollup / plain if plain else None, f"<= {target_s * 1000:.0f} ms",
                       verdict(rollup <= target_s) + (f" ({note})" if note else ""))


def _reusable(env: BenchEnv, teams: int, first: date, last: date, keys: int = 0) -> bool:
    """The kept warehouse holds exactly these teams x days (``--analytics-keep``), with ``keys`` keys a project."""
    import psycopg

    from finops.bench import keys as bench_keys

    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        found = conn.execute(paths.sql("bench/analytics_scale")).fetchone()
        if keys or not bench_keys.kept(conn, 0):
            return found[1:] == (teams, first, last) and bench_keys.kept(conn, keys)
    return found == (teams * ((last - first).days + 1) * ROWS_PER_TEAM_DAY, teams, first, last)


def generate_if_empty(env: BenchEnv, teams: int, first: date, last: date, log: Log) -> tuple[int, int]:
    """The bench database's warehouse as (teams, days): the one there, or ``teams`` x ``first..last`` made now."""
    import psycopg

    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        rows, found_teams, found_first, found_last = conn.execute(paths.sql("bench/analytics_scale")).fetchone()
    if rows:
        return found_teams, (found_last - found_first).days + 1
    _generate(env, teams, first, last, log)
    return teams, (last - first).days + 1


def _generate(env: BenchEnv, teams: int, first: date, last: date, log: Log, keep: bool = False,
              keys: int = 0) -> tuple:
    import psycopg

    from finops.analytics.rollups import rebuild
    from finops.bench import keys as bench_keys

    if keep and _reusable(env, teams, first, last, keys):
        log("analytics: reusing the kept warehouse (--analytics-keep)")
        with psycopg.connect(env.pg_url, autocommit=True) as conn:
            conn.execute(paths.sql("bench/analytics_plain_views"))
            return conn.execute(paths.sql("bench/analytics_counts")).fetchone()
    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        conn.execute("TRUNCATE finops.cost_data, finops.collection_run_days, finops.collection_run_skipped, "
                     "finops.usage_data, finops.collection_runs, finops.rollup_pending, "
                     "finops.restatements, finops.spend_project_daily, finops.spend_project_monthly, "
                     "finops.spend_model_daily, finops.usage_model_daily, finops.usage_model_mtd, finops.spend_key_daily, "
                     "finops.spend_key_monthly, finops.api_key_changes, finops.api_keys")
        conn.execute(paths.sql("bench/analytics_teams"), {"teams": teams})
        started = time.perf_counter()
        conn.execute("SELECT setseed(0.15)")
        conn.execute(paths.sql("bench/analytics_generate"), {"teams": teams, "first": first, "last": last,
                                                             "keys": keys})
        log(f"analytics: cost rows generated in {time.perf_counter() - started:.1f} s")
        if keys:
            bench_keys.generate(conn, teams, first, last, keys, log)
        conn.execute("ANALYZE finops.cost_data")
    started = time.perf_counter()
    with psycopg.connect(env.pg_url) as conn:
        rebuild(conn)
    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        conn.execute("ANALYZE finops.spend_project_daily, finops.spend_project_monthly, "
                     "finops.spend_model_daily, finops.spend_key_daily, finops.spend_key_monthly, "
                     "finops.line_items")
        conn.execute(paths.sql("bench/analytics_plain_views"))
        counts = conn.execute(paths.sql("bench/analytics_counts")).fetchone()
    log(f"analytics: rollups rebuilt in {time.perf_counter() - started:.1f} s; rows: cost_data {counts[0]}, "
        f"spend_project_daily {counts[1]}, spend_project_monthly {counts[2]}, spend_model_daily {counts[3]}")
    return counts


def _stored_rows(env: BenchEnv, teams: list[str], start: date, end: date) -> dict[str, list]:
    """Each team's cost rows of ``[start, end)`` as the Costs API would return them again (settled days)."""
    import psycopg

    from finops.costs.models import CostRow

    out: dict[str, list] = {team: [] for team in teams}
    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        for team, *row in conn.execute(paths.sql("bench/analytics_team_rows"),
                                       {"teams": teams, "start": start, "end": end}):
            out[team].append(CostRow(*row))
    return out


def _drop_days_after(env: BenchEnv, teams: list[str], last: date) -> None:
    """Remove the teams' cost rows after ``last`` loaded by a pass without the refresh (the rollups never had them)."""
    import psycopg

    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        conn.execute("DELETE FROM finops.cost_data WHERE team_id = ANY (%s) AND usage_date > %s", (teams, last))


def teams_per_connection(teams: int) -> int:
    """How many teams' loads share a connection in the DAG: a task's batch (auto) spread over its threads."""
    from finops import defaults
    from finops.collection import teams_per_task

    return -(-teams_per_task(teams) // defaults.DEFAULT_THREADS_PER_TASK)


class DroppedChanges:
    """A batch that drops the loads' changes: the passes without the rollups."""

    def add(self, change) -> None:
        pass


def _load_all(teams: list[str], rows: dict[str, list], window, with_rollups: bool,
              restatements: bool = False) -> tuple[float, float]:
    """Seconds the loader took for these teams on one kept connection, and of those the batches' applies.

    With the rollups, the loads' changes go to a batch (:class:`finops.analytics.rollups.RollupBatch`, a
    ``collect_team`` task's) applied once it holds ``BATCH_LOADS`` changes and at the end (timed with the
    loads). Without them, a plain delete, no change computed, none applied; and the restatement check is left
    out too unless ``restatements``.
    """
    from finops.analytics import rollups
    from finops.warehouse import loader
    from finops.warehouse.db import KeptConnections
    from finops.warehouse.loader import replace_window

    spent = 0.0
    real = rollups.window_change, loader.DELETE_WINDOW, loader.DELETE_WINDOW_SUMMED, loader.RESTATEMENTS
    if not with_rollups:
        rollups.window_change = lambda provider, team_id, run_id, *args: rollups.RollupChange(
            run_id, provider, team_id)
        loader.DELETE_WINDOW = loader.DELETE_WINDOW_SUMMED = "bench/delete_window_plain"
        if not restatements:
            loader.RESTATEMENTS = "bench/restatements_none"
    try:
        with KeptConnections() as connections:
            batch = rollups.RollupBatch(connections) if with_rollups else DroppedChanges()
            for team in teams:
                started = time.perf_counter()
                replace_window(team, window, iter(rows[team]), dag_run_id="bench-daily", started_at=datetime.now(UTC),
                               connections=connections, rollups=batch)
                spent += time.perf_counter() - started
            started = time.perf_counter()
            if with_rollups:
                batch.flush()
            spent += time.perf_counter() - started
    finally:
        rollups.window_change, loader.DELETE_WINDOW, loader.DELETE_WINDOW_SUMMED, loader.RESTATEMENTS = real
    return spent, getattr(batch, "seconds", 0.0)


def _daily_collection(env: BenchEnv, teams: list[str], last: date, log: Log) -> tuple[float, ...]:
    """The next day's collection of every team, timed without and with the rollups; and the worst case.

    Each load is a real daily run's: a 3-day window holding the new day ``last + 1`` and two settled days the
    API returns unchanged; the same rows in every pass. Teams go in groups of a ``collect_team`` task's batch
    (``BATCH_LOADS``, on one kept connection). Each group is first loaded once untimed (its pages in the cache),
    then timed in three passes whose order rotates from group to group (no pass always pays the cold cache):
    the loader alone, then with the restatement check, each undone (the new day deleted: the rollups never saw
    it); and with the rollups, followed by every day of the window changed (every group restated, the worst
    case) and the settled days alone through the loader, which puts the warehouse back as it was (rollups
    equal to cost_data, ``--analytics-keep`` finds it again).
    Returns the seconds of (loader alone, with the restatement check, with it and the rollups, of which the
    batches' applies, the same with every group changed).
    """
    import airflow.sdk  # noqa: F401 - as in a collection task, the loader's connection lookups go through Airflow
    import psycopg

    from finops.analytics.rollups import BATCH_LOADS
    from finops.warehouse.loader import Window

    window = Window(last - timedelta(days=DAILY_WINDOW_DAYS - 2), last + timedelta(days=2))
    settled = _stored_rows(env, teams, window.start, last + timedelta(days=1))
    # The new day: the last day's line items and projects again, other amounts.
    daily = {team: rows + [r._replace(usage_date=r.usage_date + timedelta(days=1), amount=r.amount * 2)
                           for r in rows if r.usage_date == last]
             for team, rows in settled.items()}
    changed = {team: [r._replace(amount=r.amount + Decimal("0.01")) for r in rows] for team, rows in daily.items()}
    passes = {"plain": {}, "restating": {"restatements": True}, "maintained": {}}
    seconds = dict.fromkeys(passes, 0.0)
    applies = worst = 0.0
    for n, first in enumerate(range(0, len(teams), BATCH_LOADS)):
        group = teams[first:first + BATCH_LOADS]
        _load_all(group, settled, window, False)  # untimed: the group's pages cached before any timed pass
        names = list(passes)[n % 3:] + list(passes)[:n % 3]
        for name in names:
            spent, applying = _load_all(group, daily, window, name == "maintained", **passes[name])
            seconds[name] += spent
            if name == "maintained":
                applies += applying
                worst += _load_all(group, changed, window, True)[0]
                _load_all(group, settled, window, True)
            else:
                _drop_days_after(env, group, last)
    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        # The restated days these runs recorded (3 a team, twice) would slow the page's next measurement.
        conn.execute("DELETE FROM finops.restatements WHERE dag_run_id = 'bench-daily'")
        # The passes without rollups dropped their changes and were undone: nothing of theirs is left to apply.
        conn.execute("DELETE FROM finops.rollup_pending WHERE run_id IN "
                     "(SELECT run_id FROM finops.collection_runs WHERE dag_run_id = 'bench-daily')")
    plain, restating, maintained = seconds["plain"], seconds["restating"], seconds["maintained"]
    log(f"analytics: daily collection of {len(teams)} teams (batches of {BATCH_LOADS} loads): loader alone "
        f"{plain:.2f} s, with the restatement check {restating:.2f} s, with it and the rollups {maintained:.2f} s "
        f"(of which the batches' applies {applies:.2f} s), every group changed {worst:.2f} s "
        f"(load average {os.getloadavg()[0]:.1f})")
    return plain, restating, maintained, applies, worst


def case_analytics(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    from finops.analytics.report import build_report, month_period, to_table
    from finops.bench.page import overview_page
    from finops.warehouse.db import connect

    teams, days = args.analytics_teams, args.analytics_days
    today = datetime.now(UTC).date()
    last = today - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    counts = _generate(env, teams, first, last, log, keep=getattr(args, "analytics_keep", False))
    month = month_period(today.strftime("%Y-%m") if today.day > 1 else last.strftime("%Y-%m"))

    def page(team_id: str | None) -> Callable[[], object]:
        return lambda: overview_page(month, today, team_id)

    def report() -> str:
        with connect() as conn:
            return to_table(build_report(conn, month, ("model",)))

    scale = f"{teams} teams x {days} days, {counts[0] / 1e6:.2f} M cost rows"
    out = [Measurement(f"analytics: warehouse {scale}", f"rollup rows: {counts[1]} project daily, "
                                                         f"{counts[2]} project monthly, {counts[3]} model daily")]
    out.append(_pair("overview page (month, by team), build + render", page(None), 0.300, log))
    out.append(_pair("team page (month, by project), build + render", page("anl0000"), 0.150, log))
    out.append(_pair("report --month by model (query + table)", report, 1.0, log))
    out += report_measurements(env, month.start.strftime("%Y-%m"), 3, log, f"{teams} teams x {days} days")

    daily_teams = [f"anl{n:04d}" for n in range(teams)]
    plain, restating, maintained, applies, worst = _daily_collection(env, daily_teams, last, log)
    both = maintained / plain - 1 if plain else 0.0
    worst_overhead = worst / restating - 1 if restating else 0.0
    rollups_only = maintained / restating - 1 if restating else 0.0
    per_team = 1000 / len(daily_teams)
    out.append(Measurement(f"analytics: daily collection of {teams} teams (3-day windows: 1 new day, 2 settled "
                           "unchanged), database time added by the rollup maintenance",
                           f"{maintained:.2f} s with rollups", f"{restating:.2f} s without",
                           maintained / restating if restating else None, "overhead <= 10 %",
                           verdict(rollups_only <= 0.10) + f" ({rollups_only:+.0%}, "
                           f"{(maintained - restating) * per_team:+.2f} ms a team)"))
    out.append(Measurement("analytics: of which the batches' applies (one transaction per batch of loads)",
                           f"{applies:.2f} s", f"{restating:.2f} s without", applies / restating if restating else None,
                           "-", f"info ({applies * per_team:.2f} ms a team)"))
    out.append(Measurement("analytics: the same, every group changed (3 days restated)",
                           f"{worst:.2f} s with rollups", f"{restating:.2f} s without",
                           worst / restating if restating else None, "-", f"info ({worst_overhead:+.0%})"))
    out.append(Measurement("analytics: rollups and the restatement check together, against the loader alone",
                           f"{maintained:.2f} s with both", f"{plain:.2f} s loader alone",
                           maintained / plain if plain else None, "-", f"info ({both:+.0%})"))
    return out

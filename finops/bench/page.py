"""The ``page`` case: what the FinOps pages cost the api-server as the number of teams grows.

The team list (``team_list``: every team's keys, last collection, spend, budget and alerts, then search,
sort and one page of 25; rendering ``teams.html``) for 10, 100, 300 or 1000 active teams, each with a key
and 10 projects, and one team's management page (``build_overview`` for that team and ``team.html``, its
30-day chart included); the first 25 teams have a day of collected costs. Median of 3 after a warm-up,
in the bench process (the request's authentication is not included).

Then the overview (month to date by team) and one team's spend page (by project), with the usage panels, on the
analytics case's warehouse (``--analytics-teams`` x ``--analytics-days``, default 1,000 x 365: 6.6 M cost rows)
with usage behind its costs (3.3 M rows of ``finops.usage_data``, ``include/sql/bench/usage_generate.sql``);
``--analytics-keep`` reuses a warehouse of that size (usage rows included) and times only the usage pages.
``--analytics-keys N`` gives the warehouse per-key rows (issue 26: N keys a project, ``finops/bench/keys.py``);
the pages then show their top keys and owners read from the key rollups, and are timed again with the panel read
from cost_data as before the rollups (``key_panel_from_cost_data``), for the comparison.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from finops.bench import Measurement
from finops.bench.env import BenchEnv

Log = Callable[[str], None]


def _median(run: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    result = run()  # warm-up: templates compiled, connections and imports ready
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


@contextmanager
def _only_active(env: BenchEnv, team_ids: list[str]) -> Iterator[None]:
    """Only these teams active while the block runs (the page lists active teams in full)."""
    import psycopg

    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        conn.execute("UPDATE finops.teams SET active = (team_id = ANY(%s))", (team_ids,))
        try:
            yield
        finally:
            conn.execute("UPDATE finops.teams SET active = true")


def overview_page(period, today: date, team_id: str | None, keys_read: Callable | None = None) -> str:
    """The overview (by team) or a team's spend page (by project), usage panels and top keys included, built and
    rendered as the route does (``keys_read``: the key panel's read, ``key_panel`` by default)."""
    from finops.analytics.budget_status import budget_panel
    from finops.warehouse.snapshot import snapshot_reads
    from finops.web.charts import stacked_chart
    from finops.web.rendering import render
    from finops.web.routes.analytics import PERIODS, Filters, Reader, pct, unit_cost_chart
    from finops.web.spend_panels import read_spend_panels

    with snapshot_reads() as reads:
        label = f"{period.start:%B %Y}" + (" to date" if period.start <= today < period.end else "")
        panels = read_spend_panels(reads, period, today=today, label=label, month=True,
                                   group="project" if team_id else "team", team_id=team_id, lookback=2,
                                   keys_read=keys_read)
    data, usage, keys = panels.data, panels.usage, panels.keys
    return render("overview.html", data=data, budget_panel=budget_panel(today, team_id=team_id),
                  chart=stacked_chart(data), filters=Filters(), group="project" if team_id else "team",
                  groupings=("project", "model", "provider") if team_id else ("team", "provider", "model"),
                  periods=PERIODS, reader=Reader(user=None, name="bench", can_manage=False), error=None, today=today,
                  pct=pct, overview_url="/finops/overview", manage_url="/finops/",
                  csv_url="/finops/overview/export.csv", team_url=lambda t: f"/finops/overview/teams/{t}",
                  static="/finops/static/", usage=usage, unit_chart=unit_cost_chart(usage),
                  usage_csv_url="/finops/overview/export.csv?usage=1", key_panel=keys,
                  keys_csv_url="/finops/overview/keys.csv",
                  key_url=lambda t, p, k: f"/finops/overview/teams/{t}/keys/{p}/{k}")


def _usage_pages(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    """Overview and team page with the usage panels at ``--analytics-teams`` x ``--analytics-days`` with usage."""
    import psycopg

    from finops import paths
    from finops.analytics.report import month_period
    from finops.analytics.rollups import rebuild_usage
    from finops.bench import verdict
    from finops.bench.analytics import _generate

    teams, days = args.analytics_teams, args.analytics_days
    today = datetime.now(UTC).date()
    last = today - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    keys = getattr(args, "analytics_keys", 0)
    counts = _generate(env, teams, first, last, log, keep=getattr(args, "analytics_keep", False), keys=keys)
    with psycopg.connect(env.pg_url, autocommit=True) as conn:
        if keys:
            from finops.bench.keys import shape

            log(f"page: per-key shape: {shape(conn, teams, days, keys)}")
        usage_rows = conn.execute("SELECT count(*) FROM finops.usage_data").fetchone()[0]
        generated = usage_rows != teams * days * 9
        if generated:
            conn.execute("TRUNCATE finops.usage_data, finops.usage_model_daily")
            started = time.perf_counter()
            conn.execute("SELECT setseed(0.25)")
            conn.execute(paths.sql("bench/usage_generate"), {"teams": teams, "first": first, "last": last})
            conn.execute("ANALYZE finops.usage_data")
            usage_rows = conn.execute("SELECT count(*) FROM finops.usage_data").fetchone()[0]
            log(f"page: {usage_rows} usage rows generated in {time.perf_counter() - started:.1f} s")
        if generated or not conn.execute("SELECT EXISTS (SELECT FROM finops.usage_model_daily)").fetchone()[0]:
            # Rows written in bulk, as no load writes them: the usage panels' rollup recomputed from them as
            # production's rebuild does (`finops report --rebuild-rollups`; loads recompute their windows).
            started = time.perf_counter()
            with psycopg.connect(env.pg_url) as rebuilding:
                rebuild_usage(rebuilding)
            conn.execute("ANALYZE finops.usage_model_daily")
            (rollup_rows,) = conn.execute("SELECT count(*) FROM finops.usage_model_daily").fetchone()
            log(f"page: usage_model_daily rebuilt in {time.perf_counter() - started:.1f} s ({rollup_rows} rows)")
    month = month_period(today.strftime("%Y-%m") if today.day > 1 else last.strftime("%Y-%m"))
    scale = f"{teams} teams x {days} days ({counts[0] / 1e6:.2f} M cost rows, {usage_rows / 1e6:.2f} M usage rows)"
    if keys:
        scale += f", {keys} keys a project"
    out = []
    for name, team_id, target in (("overview (month to date, by team)", None, 0.300),
                                  ("team page (month to date, by project)", "anl0000", 0.150)):
        seconds, html = _median(lambda team_id=team_id: overview_page(month, today, team_id), repeat=5)
        log(f"page: {name} with the usage panels, {scale}: {seconds * 1000:.0f} ms ({len(html) / 1e3:.0f} kB)")
        out.append(Measurement(f"page: {name} with the usage panels, {scale}", f"{seconds * 1000:.0f} ms", "-", None,
                               f"<= {target * 1000:.0f} ms", verdict(seconds <= target)
                               + f" ({len(html) / 1e3:.0f} kB of HTML)"))
        if keys:
            out += _key_panel_before_after(name, month, today, team_id, log)
    return out


def _key_panel_before_after(name: str, month, today: date, team_id: str | None, log: Log) -> list[Measurement]:
    """The page with its key panel read from cost_data (before the key rollups), and both panel reads alone."""
    from finops.attribution.panel import key_panel, key_panel_from_cost_data
    from finops.warehouse.db import connect

    old_page, _ = _median(lambda: overview_page(month, today, team_id, key_panel_from_cost_data), repeat=3)
    with connect() as conn:
        new_s, new = _median(lambda: key_panel(conn, month.start, month.end, team_id=team_id), repeat=5)
        old_s, old = _median(lambda: key_panel_from_cost_data(conn, month.start, month.end, team_id=team_id),
                             repeat=3)
    log(f"page: {name}: key panel from the rollups {new_s * 1000:.0f} ms, from cost_data {old_s * 1000:.0f} ms "
        f"(equal: {new == old}); page with the cost_data panel {old_page * 1000:.0f} ms")
    return [Measurement(f"page: {name}, key panel read", f"{new_s * 1000:.0f} ms from the key rollups",
                        f"{old_s * 1000:.0f} ms from cost_data", new_s / old_s if old_s else None, "-",
                        f"info (equal: {new == old})"),
            Measurement(f"page: {name}, before the key rollups (panel from cost_data)",
                        f"{old_page * 1000:.0f} ms", "-", None, "-", "info")]


def case_page(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    from finops.bench.cases import limit_script, truncate
    from finops.registry import Registry
    from finops.web.charts import stacked_chart
    from finops.web.overview import TEAMS_PER_PAGE, build_overview
    from finops.web.rendering import render
    from finops.web.routes.analytics import pct
    from finops.web.routes.pages import team_showback, team_spend
    from finops.web.team_list import SORTS, team_list

    if getattr(args, "analytics_keep", False):
        log("page: --analytics-keep: the team list is skipped (it empties the warehouse), the usage pages reuse it")
        return _usage_pages(env, args, log)
    teams = env.team_ids(max(args.teams))
    today = datetime.now(UTC).date()
    truncate(env)
    limit_script(env, log, teams[:TEAMS_PER_PAGE], today - timedelta(days=1), today, args.pool, "bench-page")
    registry = Registry()
    common = {"user_name": "bench", "can_manage": True, "csrf_token": "bench", "base": "/finops/", "pct": pct,
              "banner": None, "form_state": lambda form, team_id=None: (None, {})}
    out: list[Measurement] = []
    for count in sorted(set(args.teams)):
        with _only_active(env, teams[:count]):
            def page() -> str:
                listed = team_list(today, sort="spend", order="desc")
                return render("teams.html", teams=listed, sorts=SORTS, today=today, **common)

            list_s, html = _median(page)

            def team_page(team_id: str = teams[0]) -> str:
                overview = build_overview(registry, can_manage=True, today=today, team_id=team_id)
                data = team_spend(team_id, today, overview.spend_days)
                return render("team.html", overview=overview, team=overview.teams[0], chart_data=data,
                              chart=stacked_chart(data), project_names={}, spend_url="/finops/overview/teams/x",
                              can_manage_team=True, **team_showback(team_id), **common)

            team_s, team_html = _median(team_page)
        log(f"page: {count} teams, team list {list_s * 1000:.0f} ms ({len(html) / 1e3:.0f} kB), "
            f"team page {team_s * 1000:.0f} ms ({len(team_html) / 1e3:.0f} kB)")
        out.append(Measurement(f"page: {count} active teams, team list (25 a page, sorted by spend)",
                               f"{list_s * 1000:.0f} ms", "-", None, "-", f"{len(html) / 1e3:.0f} kB of HTML"))
        out.append(Measurement(f"page: {count} active teams, one team's page", f"{team_s * 1000:.0f} ms", "-", None,
                               "-", f"{len(team_html) / 1e3:.0f} kB of HTML"))
    truncate(env)
    out += _usage_pages(env, args, log)
    return out

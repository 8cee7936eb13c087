"""The ``page`` case: what the FinOps pages cost the api-server as the number of teams grows.

The team list (``team_list``: every team's keys, last collection, spend, budget and alerts, then search,
sort and one page of 25; rendering ``teams.html``) for 10, 100, 300 or 1000 active teams, each with a key
and 10 projects, and one team's management page (``build_overview`` for that team and ``team.html``, its
30-day chart included); the first 25 teams have a day of collected costs. Median of 3 after a warm-up,
in the bench process (the request's authentication is not included).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

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


def case_page(env: BenchEnv, args: argparse.Namespace, log: Log) -> list[Measurement]:
    from finops.bench.cases import limit_script, truncate
    from finops.registry import Registry
    from finops.web.charts import stacked_chart
    from finops.web.overview import TEAMS_PER_PAGE, build_overview
    from finops.web.rendering import render
    from finops.web.routes.analytics import pct
    from finops.web.routes.pages import team_showback, team_spend
    from finops.web.team_list import SORTS, team_list

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
    return out

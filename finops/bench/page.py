"""The ``page`` case: what the FinOps page costs the api-server as the number of teams grows.

``build_overview`` (the registry and warehouse reads) and the rendering of ``page.html``, first page
(25 teams in full), for 10, 100 or 1000 active teams, each with a key and 10 projects; the teams of
the first page have a day of collected costs. Median of 3 after a warm-up, in the bench process
(the request's authentication is not included).
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
    from finops.web.overview import TEAMS_PER_PAGE, build_overview
    from finops.web.rendering import render

    teams = env.team_ids(max(args.teams))
    today = datetime.now(UTC).date()
    truncate(env)
    limit_script(env, log, teams[:TEAMS_PER_PAGE], today - timedelta(days=1), today, args.pool, "bench-page")
    registry = Registry()
    out: list[Measurement] = []
    for count in sorted(set(args.teams)):
        with _only_active(env, teams[:count]):
            build_s, overview = _median(lambda: build_overview(registry, can_manage=True, today=today))
            render_s, html = _median(lambda view=overview: render(
                "page.html", overview=view, user_name="bench", banner=None, csrf_token="bench", base="/finops/",
                form_state=lambda form, team_id=None: (None, {})))
        log(f"page: {count} teams, build {build_s:.3f} s, render {render_s:.3f} s, {len(html) / 1e6:.1f} MB")
        out.append(Measurement(f"page: {count} active teams, page 1 ({len(overview.teams)} in full)",
                               f"build {build_s:.2f} s + render {render_s:.2f} s",
                               "-", None, "-", f"{len(html) / 1e6:.1f} MB of HTML"))
    truncate(env)
    return out

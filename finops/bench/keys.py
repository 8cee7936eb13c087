"""The analytics warehouse with per-key rows (issue 26): ``--analytics-keys N`` keys a project.

The shape (``include/sql/bench/analytics_keys_generate.sql``): the unassigned project keeps its 6 rows a team-day
with no key (``analytics_generate.sql``); each of the two projects spends through N keys, key k using a line item
on a day with probability 0.6 x 0.7^k (a few busy keys, a long tail), plus 15 % of (project, line item, day) with
no key. Kept in its own file and function so the base generation (and its other users) stays as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from finops import paths

Log = Callable[[str], None]


def generate(conn, teams: int, first: date, last: date, keys: int, log: Log) -> None:
    """Insert the per-key cost rows of the two projects and the keys' list (after ``analytics_generate.sql``)."""
    started = time.perf_counter()
    conn.execute("SELECT setseed(0.35)")
    params = {"teams": teams, "first": first, "last": last, "keys": keys}
    conn.execute(paths.sql("bench/analytics_keys_generate"), params)
    conn.execute(paths.sql("bench/analytics_keys_list"), params)
    log(f"analytics: per-key cost rows ({keys} keys a project) generated in {time.perf_counter() - started:.1f} s")


def kept(conn, keys: int) -> bool:
    """The kept warehouse has this per-key shape (``--analytics-keep``): N keys listed for the first project."""
    (listed,) = conn.execute("SELECT count(*) FROM finops.api_keys WHERE team_id = 'anl0000' "
                             "AND project_id = 'proj_anl0000p0'").fetchone()
    return listed == keys


def shape(conn, teams: int, days: int, keys: int) -> str:
    """What the warehouse holds per team-day, before and after keys, and in all (printed by the bench)."""
    (rows, keyed, key_daily, key_monthly) = conn.execute(
        "SELECT (SELECT count(*) FROM finops.cost_data), "
        "(SELECT count(*) FROM finops.cost_data WHERE api_key_id IS NOT NULL), "
        "(SELECT count(*) FROM finops.spend_key_daily), (SELECT count(*) FROM finops.spend_key_monthly)").fetchone()
    team_days = teams * days
    return (f"cost rows a team-day: 18 without keys, {rows / team_days:.1f} with {keys} keys a project "
            f"({keyed / team_days:.1f} of them with a key); cost_data {rows / 1e6:.2f} M rows "
            f"(without keys: {team_days * 18 / 1e6:.2f} M); spend_key_daily {key_daily / 1e6:.2f} M rows "
            f"({key_daily / team_days:.1f} a team-day), spend_key_monthly {key_monthly / 1e3:.0f} k rows")

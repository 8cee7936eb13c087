"""The ``cli`` case: wall time of ``finops --help``, a group's help, a usage error and ``finops report``.

Each command runs ``--repeat`` times in a fresh interpreter; the median is reported, next to ``python -c
pass``. The goals: help and usage errors answer in under 0.5 s (issue 13); ``finops report --month M --by
model`` in about 1 s (issue 15), on a small warehouse here (the ``analytics`` case times it at full scale).
The report is timed twice: with the connection and the look-back variable in ``AIRFLOW_CONN_``/``AIRFLOW_VAR_``
(read without importing Airflow) and with the variable left to Airflow's lookup (its start-up included).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from finops.bench import Measurement, verdict

GOAL_S = 0.5
REPORT_GOAL_S = 1.0
#: The small warehouse the report runs on when the bench database holds none (the analytics case's shape).
REPORT_TEAMS, REPORT_DAYS = 100, 62
COMMANDS = (["--help"], ["keys", "--help"], ["projects", "add", "--help"], ["teams", "bogus"])


def _median(argv: list[str], repeat: int, env: dict[str, str] | None = None, check: bool = False) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=check, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def case_cli(env, args: argparse.Namespace, log: Callable[[str], None]) -> list[Measurement]:
    finops = str(Path(sys.executable).parent / "finops")
    repeat = max(args.repeat, 5)
    baseline = _median([sys.executable, "-c", "pass"], repeat)
    log(f"cli: python -c pass {baseline:.3f} s (median of {repeat})")
    rows = [Measurement("cli: python -c pass (baseline)", f"{baseline:.3f} s")]
    for command in COMMANDS:
        took = _median([finops, *command], repeat)
        rows.append(Measurement(f"cli: finops {' '.join(command)}", f"{took:.3f} s", f"{GOAL_S} s", took / GOAL_S,
                                "< 0.5 s", verdict(took < GOAL_S)))
    return rows + _report_rows(env, repeat, log)


def report_argv(month: str) -> list[str]:
    return [str(Path(sys.executable).parent / "finops"), "report", "--month", month, "--by", "model"]


def report_env(env, lookback_in_environment: bool) -> dict[str, str]:
    """The bench's child environment, with or without ``AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS``."""
    child = {k: v for k, v in env.child_env().items() if k != "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS"}
    if lookback_in_environment:
        child["AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS"] = "2"
    return child


def report_measurements(env, month: str, repeat: int, log: Callable[[str], None], scale: str) -> list[Measurement]:
    """``finops report --month M --by model``: environment only, then with Airflow's variable lookup."""
    rows = []
    for in_env, how in ((True, "connection and variable from the environment"),
                        (False, "variable looked up by Airflow")):
        took = _median(report_argv(month), repeat, env=report_env(env, in_env), check=True)
        log(f"cli: finops report --month {month} --by model ({how}, {scale}): {took:.3f} s")
        rows.append(Measurement(f"cli: finops report --month M --by model ({how}; {scale})", f"{took:.2f} s",
                                f"{REPORT_GOAL_S:.0f} s", took / REPORT_GOAL_S, "<= 1 s" if in_env else "-",
                                verdict(took <= REPORT_GOAL_S) if in_env else "info"))
    return rows


def _report_rows(env, repeat: int, log: Callable[[str], None]) -> list[Measurement]:
    """The report command on the bench database: the analytics case's warehouse, or a small one made here."""
    import psycopg

    from finops.bench.analytics import generate_if_empty

    last = datetime.now(UTC).date() - timedelta(days=1)
    first = last - timedelta(days=REPORT_DAYS - 1)
    teams, days = generate_if_empty(env, REPORT_TEAMS, first, last, log)
    with psycopg.connect(env.pg_url) as conn:
        (month_start,) = conn.execute("SELECT date_trunc('month', max(usage_date))::date FROM finops.cost_data"
                                      ).fetchone()
    return report_measurements(env, month_start.strftime("%Y-%m"), repeat, log, f"{teams} teams x {days} days")

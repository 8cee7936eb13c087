"""The ``cli`` case: wall time of ``finops --help``, a group's help and a usage error, against ``python -c pass``.

Each command runs ``--repeat`` times in a fresh interpreter; the median is reported. The goal
(issue 13): help and usage errors answer in under 0.5 s on the reference machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from finops.bench import Measurement, verdict

GOAL_S = 0.5
COMMANDS = (["--help"], ["keys", "--help"], ["projects", "add", "--help"], ["teams", "bogus"])


def _median(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
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
    return rows

"""The limits run as plain Python scripts in a child process (as ``airflow dags test`` runs in one).

``python -m finops.bench.limit daily --teams a,b --start D --end D --pool 4 --run-id R --docs-dir P``:
the DAG's work without Airflow: the same API calls, KMS decrypts and loads per team, ``--pool``
teams at a time, then the quality check and the success rate. ``memory`` collects one team's window
and reports its peak RSS. ``anthropic`` is the bare script of the Anthropic case: per team one KMS
decrypt, the same cost report requests (plain ``httpx``, ``json``), the cents converted and the
registered workspaces kept, one COPY straight into ``cost_data``; no run records, no quality check.
The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from finops.defaults import DEFAULT_SUCCESS_RATE_THRESHOLD


def _daily(args: argparse.Namespace) -> dict:
    from finops import collection
    from finops.errors import FinopsError
    from finops.quality import DataQualityError, run_quality_check
    from finops.warehouse.loader import Window

    window = Window(date.fromisoformat(args.start), date.fromisoformat(args.end))
    teams = [t for t in args.teams.split(",") if t]

    def one(team: str) -> bool:
        try:
            collection.collect_team(team, window, dag_run_id=args.run_id)
            collection.silent_projects(team, window)
            return True
        except FinopsError:
            return False

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.pool) as pool:
        ok = sum(pool.map(one, teams))
    collected = time.perf_counter()
    print(f"limit: {ok}/{len(teams)} teams collected in {collected - started:.1f} s", file=sys.stderr, flush=True)
    try:
        quality = run_quality_check(window.start, window.end, teams, 2, Path(args.docs_dir)).success
    except DataQualityError:
        quality = False
    checked = time.perf_counter()
    rate = collection.success_rate(args.run_id, teams, window, DEFAULT_SUCCESS_RATE_THRESHOLD)
    return {"teams_ok": ok, "quality": quality, "rate": str(rate.rate), "collect_s": collected - started,
            "quality_s": checked - collected, "total_s": time.perf_counter() - started}


def _memory(args: argparse.Namespace) -> dict:
    from finops import collection
    from finops.registry import Registry
    from finops.warehouse.loader import Window

    window = Window(date.fromisoformat(args.start), date.fromisoformat(args.end))
    registry = Registry()
    registry.projects(args.team)  # imports and connections warm before the baseline
    import gc

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # Linux: reset the peak (VmHWM) to the current RSS
    before = _status_kb("VmRSS")
    result = collection.collect_team(args.team, window, dag_run_id="bench-memory", registry=registry)
    return {"rows": result.rows, "pages": result.pages, "baseline_kb": before, "peak_kb": _status_kb("VmHWM"),
            "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def _anthropic(args: argparse.Namespace) -> dict:
    import threading
    from datetime import UTC, datetime
    from decimal import Decimal

    import httpx

    from finops import paths
    from finops.lookup import get_connection
    from finops.registry import Registry
    from finops.warehouse.db import connect

    teams = [t for t in args.teams.split(",") if t]
    base_url = get_connection("anthropic_api").host.rstrip("/")
    query = [("starting_at", f"{args.start}T00:00:00Z"), ("ending_at", f"{args.end}T00:00:00Z"),
             ("bucket_width", "1d"), ("group_by[]", "workspace_id"), ("group_by[]", "description"), ("limit", "31")]
    local = threading.local()
    totals = {"rows": 0, "pages": 0}
    lock = threading.Lock()

    def one(team: str) -> None:
        if not hasattr(local, "registry"):
            local.registry, local.http = Registry(), httpx.Client(timeout=120)
        key = local.registry.decrypt_key(team, "anthropic")
        wanted = {p.project_id for p in local.registry.projects(team, provider="anthropic")}
        headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
        rows, pages, cursor, now = [], 0, None, datetime.now(UTC)
        while True:
            answer = local.http.get(f"{base_url}/v1/organizations/cost_report", headers=headers,
                                    params=query + ([("page", cursor)] if cursor else []))
            answer.raise_for_status()
            page = answer.json()
            pages += 1
            for bucket in page["data"]:
                day = date.fromisoformat(bucket["starting_at"][:10])
                for r in bucket["results"]:
                    scope = r["workspace_id"] or "default"
                    if scope in wanted:
                        rows.append((team, day, scope, r["description"], r["currency"].lower(),
                                     Decimal(r["amount"]) / 100, None, None, None, now, "bench-bare", None,
                                     "anthropic", r.get("model"), r.get("token_type"), r.get("cost_type"),
                                     r.get("service_tier"), r.get("context_window"), r.get("inference_geo")))
            if not page.get("has_more"):
                break
            cursor = page["next_page"]
        with connect() as conn, conn.cursor().copy(paths.sql("collection/copy_cost_rows")) as copy:
            for row in rows:
                copy.write_row(row)
        with lock:
            totals["rows"] += len(rows)
            totals["pages"] += pages

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.pool) as pool:
        list(pool.map(one, teams))
    return {**totals, "teams": len(teams), "total_s": time.perf_counter() - started}


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} is not in /proc/self/status")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m finops.bench.limit")
    parser.add_argument("mode", choices=["daily", "memory", "anthropic"])
    parser.add_argument("--teams", default="")
    parser.add_argument("--team", default="")
    parser.add_argument("--start", required=True)
    parser.add_argument("--end", required=True)
    parser.add_argument("--pool", type=int, default=4)
    parser.add_argument("--run-id", default="bench-limit")
    parser.add_argument("--docs-dir", default=".local/bench/docs")
    args = parser.parse_args(argv)
    result = {"daily": _daily, "memory": _memory, "anthropic": _anthropic}[args.mode](args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""``make demo``: the whole pipeline on embedded defaults, then a summary of what it loaded."""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from finops.devenv import local
from finops.money import exact_sum

DEMO_DAYS = 7
ACTOR = "cli:demo"


def register_demo_teams() -> list[str]:
    """Three teams on the simulator's demo organizations (growth on both providers); keys registered (again)."""
    from finops.registry import Registry
    from finops.registry.errors import ProjectAlreadyRegistered, TeamExists
    from finops.simulator.config import anthropic_key_name, demo_config, demo_keys

    keys, _, _ = demo_keys()
    config = demo_config(keys)
    registry = Registry()
    teams = []
    for org in config.organizations:
        team_id = org.name
        try:
            registry.add_team(team_id, ACTOR, name=f"{team_id.title()} team")
        except TeamExists:
            pass
        # moto's KMS keeps keys in memory only: encrypt again under this run's KMS key (a rotation).
        registry.register_key(team_id, keys[team_id], ACTOR, verify=True)
        for project in org.projects:
            try:
                registry.add_project(team_id, project.id, ACTOR, verify=True)
            except ProjectAlreadyRegistered:
                pass
        teams.append(team_id)
    for org in config.anthropic_organizations:
        registry.register_key(org.name, keys[anthropic_key_name(org.name)], ACTOR, verify=True, provider="anthropic")
        for scope in [w.id for w in org.workspaces] + ["default"]:
            try:
                registry.add_project(org.name, scope, ACTOR, verify=scope != "default", provider="anthropic")
            except ProjectAlreadyRegistered:
                pass
    return teams


#: The collection DAGs the demo runs, one per provider.
DEMO_DAGS = ("openai_costs_daily", "anthropic_costs_daily")


def run_pipeline(first, last, dag_id: str = "openai_costs_daily", label: str = "") -> subprocess.CompletedProcess[str]:
    today = datetime.now(UTC).date()
    conf = {"start_date": first.isoformat(), "end_date": last.isoformat()}
    argv = [str(local.BIN / "airflow"), "dags", "test", dag_id, today.isoformat(), "--conf", json.dumps(conf)]
    log_file = local.local_dir() / "logs" / f"demo-{dag_id}{label}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "w") as log:
        result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, text=True, check=False)
    result.stdout = str(log_file)
    return result


def summary(first, last, dag_ok: bool, log_file: str) -> str:
    from finops import paths
    from finops.tasks import data_docs_dir
    from finops.warehouse.db import connect

    lines = []
    with connect() as conn:
        span = {"first": first, "last": last}
        spend = conn.execute(paths.sql("demo/spend_per_team_day"), span).fetchall()
        rows = conn.execute(paths.sql("demo/rows_loaded"), span).fetchone()[0]
        runs = conn.execute(paths.sql("demo/last_collection_per_team")).fetchall()
        rate = conn.execute(paths.sql("demo/latest_success_rate")).fetchall()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    table: dict[tuple[str, str], dict] = defaultdict(dict)
    for team, provider, day, amount in spend:
        table[(team, provider)][day] = amount
    header = f"{'team':10}{'provider':11}" + "".join(f"{d.strftime('%m-%d'):>10}" for d in days) + f"{'total':>12}"
    lines += ["", f"Spend per team, provider and day (USD), {first} to {last}:", header, "-" * len(header)]
    for team, provider in sorted(table):
        cells = [table[(team, provider)].get(d, Decimal(0)) for d in days]
        lines.append(f"{team:10}{provider:11}" + "".join(f"{c:>10.2f}" for c in cells) + f"{exact_sum(cells):>12.2f}")
    lines += ["", f"Rows loaded: {rows}", "Last collection per team and provider:"]
    for team, provider, status, n, pages, requests, retries, error in runs:
        lines.append(f"  {team:10} {provider:10} {status:8} rows {n:5}  pages {pages}  requests {requests}  "
                     f"retries {retries}  {error}")
    for provider, success_rate, succeeded, total, threshold in rate:
        lines.append(f"Collection success rate ({provider}): {success_rate:.1%} ({succeeded}/{total} teams; "
                     f"threshold {threshold:.0%})")
    lines.append(f"Pipeline runs: {'success' if dag_ok else 'FAILED'} (logs: {log_file})")
    from finops.defaults import DEFAULT_LOOKBACK_DAYS, LOOKBACK_DAYS_VARIABLE
    from finops.lookup import get_variable
    from finops.quality import validate_window

    settle = int(get_variable(LOOKBACK_DAYS_VARIABLE, DEFAULT_LOOKBACK_DAYS))
    for provider in ("openai", "anthropic"):
        report = validate_window(first, last + timedelta(days=1), settle_days=settle, provider=provider)
        lines += ["", f"Data quality ({provider}): {report.summary()}"]
    lines += [f"Data Docs (offline HTML): {data_docs_dir() / 'index.html'}"]
    lines += ["", usage_summary(first, last)]
    lines += ["", month_to_date_overview()]
    passwords = local.ensure_passwords()
    lines += [
        "",
        "Next:",
        f"  make up      -> Airflow UI at http://127.0.0.1:{local.airflow_port()} (admin / {passwords['admin']}); "
        "the FinOps page is in the navigation",
        "  source .local/env.sh && finops validate-setup   -> the setup checklist",
        "  make down    -> stop everything",
    ]
    return "\n".join(lines)


def usage_summary(first, last) -> str:
    """Tokens, cost per 1M tokens and cache hit rate per team and model, and the change explained (docs/usage.md)."""
    from finops.analytics.report import Period
    from finops.usage.text import change_table, unit_cost_table
    from finops.warehouse.db import connect

    period = Period(first, last + timedelta(days=1))
    with connect() as conn:
        return "\n".join([unit_cost_table(conn, period), "", change_table(conn, period)])


def month_to_date_overview() -> str:
    """The FinOps overview of the month so far, as the page shows it, and the page's URL."""
    from finops.analytics.overview import build_overview
    from finops.analytics.report import month_period
    from finops.analytics.text import overview_text
    from finops.warehouse.db import connect

    today = datetime.now(UTC).date()
    with connect() as conn:
        data = build_overview(conn, month_period(today.strftime("%Y-%m")), today=today,
                              label=f"{today:%B %Y} to date", month=True, group="team")
    return overview_text(data, url=f"http://127.0.0.1:{local.airflow_port()}/finops/overview (after `make up`)")


def run_demo() -> int:
    print("Setting up: embedded PostgreSQL, Airflow metadata, warehouse schema, settings ...")
    pg_was_running = local.cluster().running_pid() is not None
    started = []
    try:
        local.setup()
        started = local.start_backing_services()
        print("Local KMS (moto) and Costs API simulator are up; registering demo teams ...")
        teams = register_demo_teams()
        today = datetime.now(UTC).date()
        first, last = today - timedelta(days=DEMO_DAYS), today - timedelta(days=1)
        results = []
        for dag_id in DEMO_DAGS:
            print(f"Teams: {', '.join(teams)}. Running {dag_id} over {first}..{last} (airflow dags test) ...")
            results.append(run_pipeline(first, last, dag_id))
        ok = all(r.returncode == 0 for r in results)
        print(summary(first, last, ok, ", ".join(r.stdout for r in results)))
        print(focus_export(first, last))
        shown, text = showback_demo(today)
        print(text)
        return 0 if ok and shown else 1
    finally:
        for service in started:
            service.stop()
        if not pg_was_running and not os.environ.get("FINOPS_DEMO_KEEP_RUNNING"):
            local.cluster().stop()


def focus_export(first, last) -> str:
    """FOCUS 1.2 files of the billing months the demo loaded (docs/focus.md): where they are, and the verdict."""
    from finops.errors import FinopsError
    from finops.export import export_month, months_touched

    lines = ["", "FOCUS 1.2 export (`finops export focus --month YYYY-MM`; docs/focus.md):"]
    for month in months_touched(first, last + timedelta(days=1)):
        try:
            results = export_month(month, today=datetime.now(UTC).date())
        except FinopsError as exc:
            lines.append(f"  {month}: {exc}")
            continue
        for r in results:
            deviations = ", ".join(f"{d.rule} {d.count}" for d in r.report.deviations) or "none"
            lines.append(f"  {r.month} {r.provider}: {r.report.rows:,} rows, conformance {r.report.verdict} "
                         f"(forced deviations: {deviations})")
            lines.append(f"    {r.data_uri}")
            lines.append(f"    {r.metadata_uri}")
    return "\n".join(lines)


#: The demo team the ``viewer`` user is made a member of (docs/showback.md).
SHOWBACK_TEAM = "growth"
SHOWBACK_DAGS = ("finops_team_statements", "finops_team_digests")


def showback_demo(today) -> tuple[bool, str]:
    """The viewer joins one team; the last settled month is collected whole, then its statement and the week's
    digest are made by their DAGs (docs/showback.md). Returns whether it worked and what to print."""
    from finops import paths
    from finops.showback.delivery import DIGEST
    from finops.showback.figures import lookback_days
    from finops.showback.members import add_member
    from finops.showback.statements import settled_months, statements
    from finops.warehouse.db import connect

    add_member(SHOWBACK_TEAM, "viewer", ACTOR)
    month = settled_months(today, lookback_days(), count=1)[0]
    month_last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    lines = ["", f"Showback (docs/showback.md): user viewer is a reader of team {SHOWBACK_TEAM}; collecting "
             f"{month:%Y-%m} whole for its statement ..."]
    ok = all(run_pipeline(month, month_last, dag_id, label=f"-{month:%Y-%m}").returncode == 0 for dag_id in DEMO_DAGS)
    for dag_id in SHOWBACK_DAGS:
        result = run_showback_dag(dag_id, today)
        ok = ok and result.returncode == 0
        lines.append(f"  {dag_id}: {'success' if result.returncode == 0 else 'FAILED'} (log: {result.stdout})")
    found = [s for s in statements(SHOWBACK_TEAM) if s["month"] == month]
    for s in found[:1]:
        lines.append(f"  statement {month:%Y-%m} version {s['version']} of {SHOWBACK_TEAM}: total "
                     f"{', '.join(f'{a} {c}' for c, a in s['totals'].items())}")
        lines.append(f"    {s['html_path']}")
        lines.append(f"    {s['csv_path']}")
    with connect() as conn:
        digest = conn.execute(paths.sql("showback/demo_latest_delivery"),
                              {"kind": DIGEST, "team_id": SHOWBACK_TEAM}).fetchone()
    if digest:
        lines.append(f"  weekly digest {digest[0]} of {SHOWBACK_TEAM} (in finops.team_deliveries; set "
                     f"`finops channels set {SHOWBACK_TEAM} --email ...` to receive it):")
        lines += [f"    {line}" for line in digest[1].splitlines()]
    ok = ok and bool(found) and bool(digest)
    return ok, "\n".join(lines)


def run_showback_dag(dag_id: str, today) -> subprocess.CompletedProcess[str]:
    """``airflow dags test`` of a showback DAG for today (its log in .local/logs)."""
    argv = [str(local.BIN / "airflow"), "dags", "test", dag_id, today.isoformat()]
    log_file = local.local_dir() / "logs" / f"demo-{dag_id}.log"
    with open(log_file, "w") as log:
        result = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, text=True, check=False)
    result.stdout = str(log_file)
    return result

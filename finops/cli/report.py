"""``finops report``: exact spend over a month or a range, grouped as asked, as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import sys

from finops.cli import usage_report

PROVIDERS = ("openai", "anthropic")


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report", help="spend over a period by team, provider, project, model, token kind or day",
        description="Exact spend from the warehouse's rollups (equal to finops.cost_data). Without --month or "
                    "--from/--to: the current UTC month to date.")
    period = report.add_mutually_exclusive_group()
    period.add_argument("--month", metavar="YYYY-MM", help="one calendar month")
    period.add_argument("--from", dest="start", metavar="DATE", help="first day (YYYY-MM-DD), with --to")
    report.add_argument("--to", dest="end", metavar="DATE", help="last day, included (YYYY-MM-DD)")
    report.add_argument("--by", default=None, metavar="LIST",
                        help="comma-separated: team,provider,project,model,token_kind,day (default team); or api_key "
                             "or owner, with any of team,provider,project,day (docs/attribution.md)")
    report.add_argument("--team", metavar="TEAM_ID", help="only this team")
    report.add_argument("--provider", choices=PROVIDERS, help="only this provider")
    report.add_argument("--format", choices=("table", "csv", "json"), default="table")
    usage_report.add_arguments(report)
    maintenance = report.add_mutually_exclusive_group()
    maintenance.add_argument("--reparse", action="store_true",
                             help="parse every line item again with this version's parser (and those cost_data holds "
                                  "without dimensions), refresh what changed")
    maintenance.add_argument("--rebuild-rollups", action="store_true",
                             help="recompute every rollup from finops.cost_data")
    report.set_defaults(func=_report)


def _period(args: argparse.Namespace):
    from datetime import UTC, datetime, timedelta

    from finops.analytics.report import Period, day_range, month_period
    from finops.errors import UsageError

    if args.month:
        if args.end:
            raise UsageError("--to goes with --from, not with --month; pass one of them.")
        return month_period(args.month)
    if args.start or args.end:
        if not (args.start and args.end):
            raise UsageError("--from and --to go together; pass both days (both are included).")
        return day_range(args.start, args.end)
    today = datetime.now(UTC).date()
    return Period(today.replace(day=1), today + timedelta(days=1))


def _maintain(args: argparse.Namespace) -> int:
    from finops.analytics.line_items import PARSER_VERSION
    from finops.analytics.rollups import rebuild, reparse
    from finops.warehouse.db import connect

    with connect() as conn:
        if args.rebuild_rollups:
            rebuild(conn)
            print("Every rollup was recomputed from finops.cost_data (and finops.usage_data for the usage panels).")
            return 0
        result = reparse(conn)
    found = f", {result.missing} found in cost_data without dimensions and stored" if result.missing else ""
    print(f"Re-parsed {result.parsed} line items with parser version {PARSER_VERSION}: {result.changed} changed"
          f"{found}; model and usage rollups recomputed for {result.days} day(s).")
    return 0


def _report(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from finops import paths
    from finops.analytics import report as reports
    from finops.analytics.freshness import freshness
    from finops.analytics.restatements import restated_days
    from finops.attribution import report as attribution
    from finops.warehouse.db import connect

    if args.reparse or args.rebuild_rollups:
        return _maintain(args)
    if args.explain:
        return usage_report.explain_report(args)
    period = _period(args)
    if attribution.wants_attribution(args.by):
        return _key_report(args, period)
    columns = reports.parse_by(args.by or "team")
    with connect() as conn:
        if args.team and not conn.execute(paths.sql("analytics/team_exists"), {"team_id": args.team}).fetchone():
            raise reports.UnknownTeam(f"Team {args.team} is not registered; see `finops teams list`.")
        reports.prepare_reading(conn)
        result = reports.build_report(conn, period, columns, provider=args.provider, team_id=args.team)
        notes = []
        if args.format == "table":
            today = datetime.now(UTC).date()
            notes.append(freshness(conn, today, provider=args.provider, team_id=args.team).note(period.start,
                                                                                                period.end))
            restated = restated_days(conn, period.start, period.end, provider=args.provider, team_id=args.team)
            if restated:
                notes.append(f"{len(restated)} team-day(s) in this period were restated by a later collection "
                             f"(costs settled late); see the FinOps overview page.")
        if args.usage:
            return usage_report.usage_report(args, conn, result, notes)
    text = {"csv": reports.to_csv, "json": reports.to_json}.get(args.format)
    sys.stdout.write(text(result) if text else reports.to_table(result, notes))
    return 0


def _key_report(args: argparse.Namespace, period) -> int:
    """``--by api_key`` or ``--by owner``: spend per key or owner from finops.cost_data (docs/attribution.md)."""
    from finops import paths
    from finops.analytics.report import UnknownTeam
    from finops.attribution import report as attribution
    from finops.errors import UsageError
    from finops.warehouse.db import connect

    if args.usage:
        raise UsageError("--usage does not go with --by api_key or owner; ask for one of them.")
    kind, dimensions = attribution.parse_by(args.by)
    with connect() as conn:
        if args.team and not conn.execute(paths.sql("analytics/team_exists"), {"team_id": args.team}).fetchone():
            raise UnknownTeam(f"Team {args.team} is not registered; see `finops teams list`.")
        result = attribution.build_key_report(conn, period, kind, dimensions, provider=args.provider,
                                              team_id=args.team)
    text = {"csv": attribution.to_csv, "json": attribution.to_json}.get(args.format, attribution.to_table)
    sys.stdout.write(text(result))
    return 0

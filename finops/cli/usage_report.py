"""``finops report --usage`` and ``finops report --explain``: usage columns next to spend, and the change explained."""

from __future__ import annotations

import argparse
import sys


def add_arguments(report: argparse.ArgumentParser) -> None:
    """The report command's usage options."""
    report.add_argument("--usage", action="store_true",
                        help="add requests, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens and "
                             "cost_per_1m_tokens after amount")
    report.add_argument("--explain", action="store_true",
                        help="split the change of spend against the same days of the month before into volume, "
                             "mix and price (with --month; --by team for one row per team)")


def usage_report(args: argparse.Namespace, conn, result, notes: list[str]) -> int:
    """Print ``result`` (a spend report) with its usage columns."""
    from finops.usage import report as usage

    with_usage = usage.usage_report(conn, result)
    text = {"csv": usage.to_csv, "json": usage.to_json}.get(args.format)
    sys.stdout.write(text(with_usage) if text else usage.to_table(with_usage, notes))
    return 0


def explain_report(args: argparse.Namespace) -> int:
    """Print the change explained for ``--month`` (default: this month to date) against the month before."""
    import json
    from datetime import UTC, datetime

    from finops import paths
    from finops.analytics import report as reports
    from finops.errors import UsageError
    from finops.usage import report as usage
    from finops.warehouse.db import connect

    if args.start or args.end:
        raise UsageError("--explain compares a month with the month before; pass --month YYYY-MM, not --from/--to.")
    today = datetime.now(UTC).date()
    previous, current = usage.explain_periods(args.month or today.strftime("%Y-%m"), today)
    columns = reports.parse_by(args.by) if args.by else ()
    with connect() as conn:
        if args.team and not conn.execute(paths.sql("analytics/team_exists"), {"team_id": args.team}).fetchone():
            raise reports.UnknownTeam(f"Team {args.team} is not registered; see `finops teams list`.")
        reports.prepare_reading(conn)
        result = usage.explain_change(conn, previous, current, columns, provider=args.provider, team_id=args.team)
    if args.format == "csv":
        sys.stdout.write(usage.explain_csv(result))
    elif args.format == "json":
        sys.stdout.write(json.dumps(result.records(), indent=2) + "\n")
    else:
        sys.stdout.write(usage.explain_table(result))
    return 0

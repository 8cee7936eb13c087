"""``finops export focus --month YYYY-MM [--provider P] [--format csv|parquet] [--out DEST]`` and
``finops export focus --check PATH``."""

from __future__ import annotations

import argparse

from finops.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser("export", help="export costs in open formats")
    kinds = export.add_subparsers(dest="kind", required=True)
    focus = kinds.add_parser(
        "focus", help="FOCUS 1.2 files of a billing month, checked for conformance (docs/focus.md)",
        description="Write a billing month as FOCUS 1.2 Cost and Usage files under "
                    "DEST/billing_period=YYYY-MM/provider=P/ (data file and metadata JSON), each checked against "
                    "the FOCUS rules and cost_data before it replaces the previous one; or check files already "
                    "written with --check.",
    )
    focus.add_argument("--month", help="the billing month, YYYY-MM (UTC)")
    focus.add_argument("--provider", choices=["openai", "anthropic"],
                       help="one provider (default: every provider with costs in the month)")
    focus.add_argument("--format", dest="fmt", choices=["csv", "parquet"], default="csv", help="default csv")
    focus.add_argument("--out", metavar="DEST",
                       help="a folder or s3://BUCKET/PREFIX (connection finops_exports); "
                            "default $AIRFLOW_HOME/finops_exports/focus")
    focus.add_argument("--check", metavar="PATH",
                       help="check FOCUS files already written (a file, a month's folder or the export folder; "
                            "local or s3://) against the rules and cost_data, and write nothing")
    focus.set_defaults(func=_focus)


def _focus(args: argparse.Namespace) -> int:
    if args.check:
        if args.month or args.provider or args.out:
            raise UsageError("--check PATH checks files already written; give it alone, without --month, --provider or --out.")
        return _check(args.check)
    if not args.month:
        raise UsageError("Give the billing month with --month YYYY-MM, or --check PATH to check files already written.")
    from datetime import UTC, datetime

    from finops.export import Month, export_month
    from finops.export.errors import NotConformant

    month = Month.parse(args.month)
    try:
        results = export_month(month, today=datetime.now(UTC).date(), provider=args.provider, fmt=args.fmt,
                               dest=args.out)
    except NotConformant as exc:
        print(exc.report.summary())
        raise
    for result in results:
        print(result.report.summary())
        print(f"Wrote {result.data_uri}")
        print(f"  and {result.metadata_uri}")
    rows = sum(r.report.rows for r in results)
    print(f"FOCUS {month}: {len(results)} provider(s), {rows:,} rows, conformance PASSED.")
    return 0


def _check(path: str) -> int:
    from finops.export import check_published

    reports = check_published(path)
    for report in reports:
        print(report.summary())
    failed = [r for r in reports if not r.ok]
    verdict = "FAILED" if failed else "PASSED"
    print(f"{len(reports)} FOCUS file(s) checked under {path}: {verdict}"
          + (f" ({len(failed)} with violations)." if failed else "."))
    return 1 if failed else 0

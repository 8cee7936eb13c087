"""``finops validate-setup [TEAM_ID]`` and ``finops test-costs-api TEAM_ID [--days N]``."""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from finops.cli._common import table
from finops.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    val = sub.add_parser("validate-setup", help="check keys, KMS, projects, connections and variables")
    val.add_argument("team_id", nargs="?", help="one team (default: every active team)")
    val.add_argument("--offline", action="store_true", help="skip the live checks against the OpenAI API")
    val.set_defaults(func=_validate)
    test = sub.add_parser("test-costs-api", help="call the Costs API for a team without writing anything")
    test.add_argument("team_id")
    test.add_argument("--days", type=int, default=7, help="how many days back from today (default 7)")
    test.set_defaults(func=_test_costs_api)


def _validate(args: argparse.Namespace) -> int:
    from finops.setup_checks import validate_setup

    checklist = validate_setup(args.team_id, live=not args.offline)
    for check in checklist.checks:
        print(check.line())
    print(checklist.verdict())
    return 0 if checklist.ok else 1


def _test_costs_api(args: argparse.Namespace) -> int:
    from finops.registry import Registry

    if not 1 <= args.days <= 365:
        raise UsageError(f"--days must be between 1 and 365 (got {args.days}).")
    registry = Registry()
    projects = [p.project_id for p in registry.projects(args.team_id)]
    if not projects:
        raise UsageError(f"Team {args.team_id} has no project IDs registered; add them with `finops projects add {args.team_id} proj_...`.")
    key = registry.decrypt_key(args.team_id)
    end = datetime.now(UTC).date() + timedelta(days=1)
    start = end - timedelta(days=args.days)
    stream = registry.api.costs(key, start, end, projects)
    per_project: dict[str, Decimal] = defaultdict(Decimal)
    rows = 0
    currencies = set()
    for row in stream:
        rows += 1
        per_project[row.project_id] += row.amount
        currencies.add(row.currency)
    print(f"Costs API for team {args.team_id}, {start} to {end - timedelta(days=1)} (UTC), {len(projects)} project IDs:")
    print(f"pages {stream.pages}, requests {stream.requests}, retries {stream.retries}, rows {rows}")
    if per_project:
        body = [[pid, f"{amount.quantize(Decimal('0.01'))}"] for pid, amount in sorted(per_project.items())]
        body.append(["total", f"{sum(per_project.values(), Decimal(0)).quantize(Decimal('0.01'))}"])
        print(table(body, ["project id", f"amount ({', '.join(sorted(currencies))})"]))
    silent = [p for p in projects if p not in per_project]
    for pid in silent:
        print(f"note: {pid} returned no costs in this window (normal for an idle project; otherwise check the ID "
              "belongs to this key's organization with `finops validate-setup`).")
    registry.mark_verified(args.team_id)
    print("Nothing was written to the warehouse.")
    return 0

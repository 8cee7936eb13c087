"""``finops validate-setup [TEAM_ID]`` and ``finops test-costs-api TEAM_ID [--provider P] [--days N]``."""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from finops.cli._common import add_provider_argument, table
from finops.errors import UsageError
from finops.money import add, exact_sum

CENT = Decimal("0.01")


def register(sub: argparse._SubParsersAction) -> None:
    val = sub.add_parser("validate-setup", help="check keys, KMS, projects, workspaces, connections and variables",
                         description="Check the environment and, for every provider each team has (OpenAI, "
                                     "Anthropic), its Admin key (KMS and live) and its project or workspace IDs.")
    val.add_argument("team_id", nargs="?", help="one team (default: every active team)")
    val.add_argument("--offline", action="store_true", help="skip the live checks against the providers' APIs")
    val.set_defaults(func=_validate)
    test = sub.add_parser("test-costs-api", help="call a provider's cost API for a team without writing anything")
    test.add_argument("team_id")
    test.add_argument("--days", type=int, default=7, help="how many days back from today (default 7)")
    add_provider_argument(test, "openai (the Costs API, default) or anthropic (the cost report)")
    test.set_defaults(func=_test_costs_api)


def _validate(args: argparse.Namespace) -> int:
    from finops.setup_checks import validate_setup

    checklist = validate_setup(args.team_id, live=not args.offline)
    for check in checklist.checks:
        print(check.line())
    print(checklist.verdict())
    return 0 if checklist.ok else 1


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT)}"


def _test_costs_api(args: argparse.Namespace) -> int:
    from finops.providers import OPENAI, provider
    from finops.registry import Registry

    if not 1 <= args.days <= 365:
        raise UsageError(f"--days must be between 1 and 365 (got {args.days}).")
    spec = provider(args.provider)
    option = "" if spec.name == OPENAI else f" --provider {spec.name}"
    registry = Registry()
    scopes = [p.project_id for p in registry.projects(args.team_id, provider=spec.name)]
    if not scopes:
        raise UsageError(f"Team {args.team_id} has no {spec.label} {spec.scope_noun}s registered; add them with "
                         f"`finops projects add {args.team_id} {spec.scope_example.split()[0]}{option}`.")
    key = registry.decrypt_key(args.team_id, spec.name)
    end = datetime.now(UTC).date() + timedelta(days=1)
    start = end - timedelta(days=args.days)
    stream = registry.client(spec.name).costs(key, start, end, scopes)
    del key
    per_scope: dict[str, Decimal] = defaultdict(Decimal)
    rows = 0
    currencies = set()
    for row in stream:
        rows += 1
        per_scope[row.project_id] = add(per_scope[row.project_id], row.amount)
        currencies.add(row.currency)
    print(f"{spec.label} cost API for team {args.team_id}, {start} to {end - timedelta(days=1)} (UTC), "
          f"{len(scopes)} {spec.scope_noun}s:")
    print(f"pages {stream.pages}, requests {stream.requests}, retries {stream.retries}, rows {rows}")
    if per_scope:
        body = [[pid, _money(amount)] for pid, amount in sorted(per_scope.items())]
        body.append(["total", _money(exact_sum(per_scope.values()))])
        print(table(body, [spec.scope_noun.lower(), f"amount ({', '.join(sorted(currencies))})"]))
    for pid in (p for p in scopes if p not in per_scope):
        print(f"note: {pid} returned no costs in this window (normal for an idle {spec.scope_noun.removesuffix(' ID')}; "
              "otherwise check the ID belongs to this key's organization with `finops validate-setup`).")
    for skipped in stream.skipped_costs():
        print(f"skipped: {_money(skipped.amount)} {skipped.currency} in {skipped.rows} results of workspace "
              f"{skipped.scope_id}, which team {args.team_id} has not registered; if it is the team's, add it with "
              f"`finops projects add {args.team_id} {skipped.scope_id}{option}`.")
    registry.mark_verified(args.team_id, spec.name)
    print("Nothing was written to the warehouse.")
    return 0

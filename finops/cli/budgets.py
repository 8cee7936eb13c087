"""``finops budgets set | list | remove``: monthly budgets per team, provider or project."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from finops.cli._common import actor, table
from finops.money import exact_sum

PROVIDERS = ("openai", "anthropic")


def register(sub: argparse._SubParsersAction) -> None:
    budgets = sub.add_parser("budgets", help="monthly budgets and their warning thresholds")
    actions = budgets.add_subparsers(dest="action", required=True)
    put = actions.add_parser("set", help="set a team's budget per UTC month, from a month on")
    put.add_argument("team_id")
    put.add_argument("amount", help="per UTC calendar month, in the data's currency (e.g. 1000 or 2500.50)")
    _scope_arguments(put)
    put.add_argument("--thresholds", help="warning thresholds in percent of the budget (default 50,80,100)")
    put.add_argument("--currency", default="usd", help="the currency of the team's cost data (default usd)")
    put.set_defaults(func=_set)
    lst = actions.add_parser("list", help="budgets in force and scheduled, with this month's spend")
    lst.add_argument("team_id", nargs="?", help="only this team")
    lst.add_argument("--all", action="store_true", help="every change ever made (history)")
    lst.set_defaults(func=_list)
    rm = actions.add_parser("remove", help="end a budget from a month on (history is kept)")
    rm.add_argument("team_id")
    _scope_arguments(rm)
    rm.set_defaults(func=_remove)


def _scope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", choices=PROVIDERS, help="only this provider's spend (default: all providers)")
    parser.add_argument("--project", dest="project_id", help="only this project's spend (OpenAI proj_..., Anthropic "
                                                            "wrkspc_... or default)")
    parser.add_argument("--from", dest="from_month", metavar="YYYY-MM",
                        help="first UTC month it applies to (default: the current month)")


def _today():
    return datetime.now(UTC).date()


def _set(args: argparse.Namespace) -> int:
    from finops.alerts.budgets import set_budget, set_message

    change = set_budget(args.team_id, args.amount, actor(), today=_today(), provider=args.provider,
                        project_id=args.project_id, thresholds=args.thresholds, from_month=args.from_month,
                        currency=args.currency)
    print(set_message(change))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from finops.alerts.budgets import removal_message, remove_budget

    change = remove_budget(args.team_id, actor(), today=_today(), provider=args.provider,
                           project_id=args.project_id, from_month=args.from_month)
    print(removal_message(change))
    return 0


def _list(args: argparse.Namespace) -> int:
    from finops.alerts.budgets import budgets, change_status, superseded
    from finops.alerts.evaluate import money, percent
    from finops.alerts.models import effective_budgets, month_label, month_start, next_month
    from finops.alerts.spend import budget_series, load_daily_spend

    month = month_start(_today())
    changes = budgets(args.team_id, include_cancelled=args.all)
    in_force = {b.budget_id for b in effective_budgets(changes, month)}
    replaced = superseded(changes)
    shown = changes if args.all else [
        b for b in changes
        if b.budget_id in in_force or (b.valid_from > month and b.cancelled_at is None and b.budget_id not in replaced)
    ]
    if not shown:
        print("No budgets yet; set one with `finops budgets set TEAM_ID AMOUNT`.")
        return 0
    spend = load_daily_spend(month, next_month(month), sorted({b.team_id for b in shown if b.budget_id in in_force}))
    rows = []
    for b in shown:
        spent = share = "-"
        if b.budget_id in in_force and b.amount is not None:
            total = exact_sum(budget_series(spend, b).values())
            spent, share = money(total, b.currency), f"{percent(total, b.amount)} %"
        rows.append([
            b.team_id, b.provider or "all", b.project_id or "all", month_label(b.valid_from),
            money(b.amount, b.currency) if b.amount is not None else "none", ",".join(map(str, b.thresholds)),
            change_status(b, in_force, month, replaced), spent, share, b.created_by,
        ])
    print(table(rows, ["team", "provider", "project", "from", "amount", "thresholds %", "status",
                       f"spent {month_label(month)}", "of budget", "set by"]))
    return 0


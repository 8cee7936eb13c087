"""``finops channels set | list``: a team's own e-mail recipients, Slack and webhook connections."""

from __future__ import annotations

import argparse

from finops.cli._common import actor, table


def register(sub: argparse._SubParsersAction) -> None:
    channels = sub.add_parser("channels", help="a team's own channels for its alerts, digests and statements")
    actions = channels.add_subparsers(dest="action", required=True)
    put = actions.add_parser("set", help="set some of a team's channels (an empty value clears one)")
    put.add_argument("team_id")
    put.add_argument("--email", help="recipients, comma separated (replaces the list; '' clears it)")
    put.add_argument("--slack-conn", help="a slackwebhook connection id ('' clears it)")
    put.add_argument("--webhook-conn", help="an http connection id whose host is the webhook URL ('' clears it)")
    put.set_defaults(func=_set)
    lst = actions.add_parser("list", help="every team's channels, or one team's")
    lst.add_argument("team_id", nargs="?")
    lst.set_defaults(func=_list)


def _set(args: argparse.Namespace) -> int:
    from finops.showback.channels import set_channels

    found = set_channels(args.team_id, actor(), email=args.email, slack_conn=args.slack_conn,
                         webhook_conn=args.webhook_conn)
    print(f"Team {found.team_id}'s channels: {found.describe()}.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from finops.showback.channels import list_channels

    found = list_channels(args.team_id)
    if not found:
        print("No team channels; set one with `finops channels set TEAM_ID --email lead@example.com`.")
        return 0
    print(table([[c.team_id, ", ".join(c.email) or "-", c.slack_conn_id or "-", c.webhook_conn_id or "-",
                  c.updated_by] for c in found], ["team", "e-mail", "slack conn", "webhook conn", "set by"]))
    return 0

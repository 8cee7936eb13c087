"""``finops members add | list | remove``: who sees (reader) or manages (manager) a team's spend."""

from __future__ import annotations

import argparse

from finops.cli._common import actor, table


def register(sub: argparse._SubParsersAction) -> None:
    members = sub.add_parser("members", help="team members: who sees or manages a team's spend")
    actions = members.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="make an Airflow user a member of a team (or change its role)")
    add.add_argument("team_id")
    add.add_argument("username", help="the Airflow user as the auth manager names it")
    add.add_argument("--role", choices=("reader", "manager"), default="reader",
                     help="reader sees the team; manager may also set its budgets and channels (default reader)")
    add.set_defaults(func=_add)
    lst = actions.add_parser("list", help="members of every team, or of one")
    lst.add_argument("team_id", nargs="?")
    lst.set_defaults(func=_list)
    rm = actions.add_parser("remove", help="end a user's membership of a team")
    rm.add_argument("team_id")
    rm.add_argument("username")
    rm.set_defaults(func=_remove)


def _add(args: argparse.Namespace) -> int:
    from finops.showback.members import add_member

    member, previous = add_member(args.team_id, args.username, actor(), role=args.role)
    if previous == member.role:
        print(f"{member.username} is already a {member.role} of team {member.team_id}; nothing changed.")
    elif previous:
        print(f"{member.username} is now a {member.role} of team {member.team_id} (was {previous}).")
    else:
        print(f"{member.username} is now a {member.role} of team {member.team_id}: they see its spend, digests and "
              "statements" + (", and may set its budgets and channels." if member.role == "manager" else "."))
    return 0


def _list(args: argparse.Namespace) -> int:
    from finops.showback.members import members

    found = members(args.team_id)
    if not found:
        print(f"No members{' of team ' + args.team_id if args.team_id else ''}; add one with "
              "`finops members add TEAM_ID USERNAME`.")
        return 0
    print(table([[m.team_id, m.username, m.role, m.added_at.strftime("%Y-%m-%d %H:%M UTC"), m.added_by]
                 for m in found], ["team", "user", "role", "added", "added by"]))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from finops.showback.members import remove_member

    removed = remove_member(args.team_id, args.username, actor())
    print(f"{removed.username} is no longer a member of team {removed.team_id}.")
    return 0

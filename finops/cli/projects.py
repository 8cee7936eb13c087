"""``finops projects add | remove | list``."""

from __future__ import annotations

import argparse

from finops.cli._common import actor, registry, table


def register(sub: argparse._SubParsersAction) -> None:
    projects = sub.add_parser("projects", help="OpenAI project IDs registered for teams")
    actions = projects.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register an OpenAI project id (proj_...) for a team")
    add.add_argument("team_id")
    add.add_argument("project_id")
    add.add_argument("--name", help="display name (default: the name OpenAI reports)")
    add.add_argument("--no-verify", action="store_true", help="skip the live check that the project exists")
    add.set_defaults(func=_add)
    rm = actions.add_parser("remove", help="stop collecting a project for a team")
    rm.add_argument("team_id")
    rm.add_argument("project_id")
    rm.set_defaults(func=_remove)
    lst = actions.add_parser("list", help="list registered project IDs")
    lst.add_argument("team_id", nargs="?")
    lst.set_defaults(func=_list)


def _add(args: argparse.Namespace) -> int:
    result = registry().add_project(args.team_id, args.project_id, actor(), name=args.name, verify=not args.no_verify)
    for warning in result.warnings:
        print(f"warning: {warning}")
    name = f" ({result.project.name})" if result.project.name else ""
    print(f"Project {result.project.project_id}{name} is registered for team {args.team_id}.")
    return 0


def _remove(args: argparse.Namespace) -> int:
    registry().remove_project(args.team_id, args.project_id, actor())
    print(f"Project {args.project_id} is no longer collected for team {args.team_id}; its past costs stay.")
    return 0


def _list(args: argparse.Namespace) -> int:
    projects = registry().projects(args.team_id)
    if not projects:
        print("No project IDs registered; add one with `finops projects add TEAM_ID proj_...`.")
        return 0
    rows = [[p.team_id, p.project_id, p.name or "", "archived" if p.archived else "active",
             p.verified_at.strftime("%Y-%m-%d %H:%M") if p.verified_at else "not verified"] for p in projects]
    print(table(rows, ["team", "project id", "name", "status", "verified"]))
    return 0

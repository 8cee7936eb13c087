"""``finops teams add | list | deactivate``."""

from __future__ import annotations

import argparse

from finops.cli._common import actor, registry, table


def register(sub: argparse._SubParsersAction) -> None:
    teams = sub.add_parser("teams", help="teams whose costs are collected")
    actions = teams.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register a team (or reactivate it)")
    add.add_argument("team_id")
    add.add_argument("--name", help="display name (default: the id)")
    add.set_defaults(func=_add)
    lst = actions.add_parser("list", help="list teams with their key and scope count per provider")
    lst.add_argument("--all", action="store_true", help="include deactivated teams")
    lst.set_defaults(func=_list)
    deact = actions.add_parser("deactivate", help="stop collecting a team (its data stays)")
    deact.add_argument("team_id")
    deact.set_defaults(func=_deactivate)


def _add(args: argparse.Namespace) -> int:
    team = registry().add_team(args.team_id, actor(), name=args.name)
    print(f"Team {team.team_id} ({team.name}) is registered; next: `finops keys register {team.team_id}`.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from finops.providers import PROVIDERS

    reg = registry()
    rows = []
    for team in reg.teams(include_inactive=args.all):
        scopes = reg.projects(team.team_id, provider=None)
        row = [team.team_id, team.name, "active" if team.active else "deactivated"]
        for name in PROVIDERS:  # a key and a scope count per provider
            key = reg.active_key(team.team_id, name)
            row += [f"{key.redacted} {key.fingerprint}" if key else "no key",
                    str(sum(1 for p in scopes if p.provider == name))]
        rows.append(row)
    if not rows:
        print("No teams yet; add one with `finops teams add TEAM_ID --name NAME`.")
        return 0
    headers = ["team", "name", "status"]
    for spec in PROVIDERS.values():
        headers += [f"{spec.label} key", f"{spec.scope_noun.split()[0]}s"]
    print(table(rows, headers))
    return 0


def _deactivate(args: argparse.Namespace) -> int:
    registry().deactivate_team(args.team_id, actor())
    print(f"Team {args.team_id} is deactivated: it is no longer collected; its data and history stay.")
    return 0

"""``finops projects add | remove | list [--provider P]``: OpenAI project IDs and Anthropic workspace IDs."""

from __future__ import annotations

import argparse

from finops.cli._common import actor, add_provider_argument, table


def register(sub: argparse._SubParsersAction) -> None:
    projects = sub.add_parser("projects", help="OpenAI project IDs and Anthropic workspace IDs registered for teams")
    actions = projects.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="register an OpenAI project id (proj_...) or Anthropic workspace id "
                                         "(wrkspc_... or default) for a team")
    add.add_argument("team_id")
    add.add_argument("project_id", help="proj_... (OpenAI), or wrkspc_... or `default` (Anthropic's default workspace)")
    add.add_argument("--name", help="display name (default: the name the provider reports)")
    add.add_argument("--no-verify", action="store_true", help="skip the live check that the project or workspace exists")
    add_provider_argument(add, "openai (a project ID, default) or anthropic (a workspace ID)")
    add.set_defaults(func=_add)
    rm = actions.add_parser("remove", help="stop collecting a project or workspace for a team")
    rm.add_argument("team_id")
    rm.add_argument("project_id")
    add_provider_argument(rm, "openai (a project ID, default) or anthropic (a workspace ID)")
    rm.set_defaults(func=_remove)
    lst = actions.add_parser("list", help="list registered project and workspace IDs")
    lst.add_argument("team_id", nargs="?")
    from finops.providers import PROVIDERS

    lst.add_argument("--provider", choices=list(PROVIDERS), default=None,
                     help="only this provider's IDs (default: every provider)")
    lst.set_defaults(func=_list)


def _add(args: argparse.Namespace) -> int:
    from finops.providers import provider
    from finops.registry import Registry

    spec = provider(args.provider)
    result = Registry().add_project(args.team_id, args.project_id, actor(), name=args.name,
                                    verify=not args.no_verify, provider=spec.name)
    for warning in result.warnings:
        print(f"warning: {warning}")
    name = f" ({result.project.name})" if result.project.name else ""
    noun = "Project" if spec.name == "openai" else f"{spec.label} workspace"
    print(f"{noun} {result.project.project_id}{name} is registered for team {args.team_id}.")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from finops.providers import provider
    from finops.registry import Registry

    spec = provider(args.provider)
    Registry().remove_project(args.team_id, args.project_id, actor(), provider=spec.name)
    noun = "Project" if spec.name == "openai" else f"{spec.label} workspace"
    print(f"{noun} {args.project_id} is no longer collected for team {args.team_id}; its past costs stay.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from finops.registry import Registry

    projects = Registry().projects(args.team_id, provider=args.provider)
    if not projects:
        print("No project or workspace IDs registered; add one with `finops projects add TEAM_ID proj_...` "
              "(or `wrkspc_... --provider anthropic`).")
        return 0
    rows = [[p.team_id, p.provider, p.project_id, p.name or "", "archived" if p.archived else "active",
             p.verified_at.strftime("%Y-%m-%d %H:%M") if p.verified_at else "not verified"] for p in projects]
    print(table(rows, ["team", "provider", "project or workspace id", "name", "status", "verified"]))
    return 0

"""``finops db upgrade | downgrade REV | current``: the warehouse schema under Alembic."""

from __future__ import annotations

import argparse

from finops.warehouse import migrate


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="warehouse schema migrations (Alembic)")
    actions = db.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upgrade", help="migrate the schema to the latest revision (or REV)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=_upgrade)
    down = actions.add_parser("downgrade", help="migrate the schema down to REV (`base` removes it)")
    down.add_argument("revision")
    down.set_defaults(func=_downgrade)
    actions.add_parser("current", help="print the schema's revision").set_defaults(func=_current)


def _upgrade(args: argparse.Namespace) -> int:
    migrate.upgrade(args.revision)
    print(f"Warehouse schema at {migrate.current()} (head {migrate.head()}).")
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    migrate.downgrade(args.revision)
    print(f"Warehouse schema at {migrate.current() or 'base (empty)'}.")
    return 0


def _current(args: argparse.Namespace) -> int:
    rev = migrate.current()
    head = migrate.head()
    if rev is None:
        print(f"Warehouse schema not created; run `finops db upgrade` (head is {head}).")
        return 1
    print(f"{rev}{' (head)' if rev == head else f' (head is {head}; run `finops db upgrade`)'}")
    return 0 if rev == head else 1

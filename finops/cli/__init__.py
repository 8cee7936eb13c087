"""The ``finops`` command line: one module per command group, each with ``register(subparsers)``.

Exit codes: 0 success, 1 a check or operation failed, 2 a usage error. Errors print one sentence.
Command modules import Airflow, the providers and the registry inside their handlers, so `--help`
and usage errors answer at once (docs/performance.md has the figure).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from finops.cli.argv_check import refuse_keys_on_argv
from finops.errors import FinopsError, UsageError

COMMAND_MODULES = ("db", "teams", "keys", "projects", "checks", "settings", "simulator", "budgets", "alerts",
                   "report", "export", "members", "channels")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one sentence, exit 2, as argparse does
        self.print_usage(sys.stderr)
        print(f"error: {message}; see `{self.prog} --help`.", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="finops", description="Collect each team's OpenAI costs with Apache Airflow.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"finops.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"finops.cli.{name}":
                raise MissingCommand(
                    f"The command group `{name}` (module finops.cli.{name}) is missing from this installation; "
                    "reinstall the finops package."
                ) from None
            raise
        module.register(sub)
    return parser


class MissingCommand(FinopsError):
    """A command module listed in COMMAND_MODULES is not installed: a broken install, never skipped."""


__all__ = ["COMMAND_MODULES", "MissingCommand", "build_parser", "main", "refuse_keys_on_argv"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        refuse_keys_on_argv(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        parser = build_parser()
    except MissingCommand as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FinopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was changed by the interrupted step.", file=sys.stderr)
        return 1

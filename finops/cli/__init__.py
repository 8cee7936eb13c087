"""The ``finops`` command line: one module per command group, each with ``register(subparsers)``.

Exit codes: 0 success, 1 a check or operation failed, 2 a usage error. Errors print one sentence.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from finops.errors import FinopsError, UsageError

COMMAND_MODULES = ("db", "teams", "keys", "projects", "checks", "settings", "simulator", "export")


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
                continue  # a command group not built yet
            raise
        module.register(sub)
    return parser


def refuse_keys_on_argv(argv: list[str]) -> None:
    """A key on the command line is visible to other users (ps) and lands in shell history."""
    from finops.registry.admin_keys import LOOKS_LIKE_KEY

    if any(LOOKS_LIKE_KEY.search(arg) for arg in argv):
        raise UsageError(
            "An OpenAI key was given on the command line, where other users and the shell history can see it; "
            "pass it with --key-file PATH or on standard input, and consider rotating it."
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        refuse_keys_on_argv(argv)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
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

"""``finops keys register | revoke``: the key is read from a file or stdin, never from argv."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from finops.cli._common import actor, registry
from finops.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="teams' OpenAI Admin keys (encrypted with KMS)")
    actions = keys.add_subparsers(dest="action", required=True)
    reg = actions.add_parser("register", help="register or rotate a team's Admin key (from --key-file or stdin)")
    reg.add_argument("team_id")
    reg.add_argument("--key-file", type=Path, help="file holding the key (default: standard input)")
    reg.add_argument("--no-verify", action="store_true", help="skip the live check against the OpenAI API")
    reg.set_defaults(func=_register)
    rev = actions.add_parser("revoke", help="revoke a team's key (the ciphertext is deleted)")
    rev.add_argument("team_id")
    rev.set_defaults(func=_revoke)


def read_key(key_file: Path | None, team_id: str) -> str:
    if key_file is not None:
        try:
            return key_file.read_text()
        except OSError as exc:
            raise UsageError(f"The key file {key_file} cannot be read ({exc.strerror}); check the path and its permissions.") from None
    if sys.stdin is None:
        raise UsageError("No key file and no standard input; pass --key-file PATH or pipe the key in.")
    if sys.stdin.isatty():
        return getpass.getpass(f"OpenAI Admin key for team {team_id} (input hidden): ")
    return sys.stdin.read()


def _register(args: argparse.Namespace) -> int:
    result = registry().register_key(args.team_id, read_key(args.key_file, args.team_id), actor(), verify=not args.no_verify)
    verb = f"rotated (replaces {result.rotated.redacted})" if result.rotated else "registered"
    checked = "verified against the OpenAI API" if result.verified else "not verified (--no-verify)"
    print(f"Admin key {result.key.redacted} ({result.key.fingerprint}) {verb} for team {args.team_id}; {checked}.")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    info = registry().revoke_key(args.team_id, actor())
    print(f"Admin key {info.redacted} of team {args.team_id} is revoked and its ciphertext deleted; "
          "also revoke it in the OpenAI dashboard.")
    return 0

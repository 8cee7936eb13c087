"""``finops keys register | revoke [--provider P]``: the key is read from a file or stdin, never from argv."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from finops.cli._common import actor, add_provider_argument
from finops.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="teams' OpenAI and Anthropic Admin keys (encrypted with KMS)")
    actions = keys.add_subparsers(dest="action", required=True)
    reg = actions.add_parser("register", help="register or rotate a team's Admin key (from --key-file or stdin)",
                             description="Register or rotate a team's Admin key for one provider: OpenAI "
                                         "(sk-admin-..., the default) or Anthropic (sk-ant-admin..., --provider "
                                         "anthropic). The key is read from --key-file or standard input, checked "
                                         "live unless --no-verify, encrypted with KMS and never shown again.")
    reg.add_argument("team_id")
    reg.add_argument("--key-file", type=Path, help="file holding the key (default: standard input)")
    reg.add_argument("--no-verify", action="store_true", help="skip the live check against the provider's API")
    add_provider_argument(reg, "whose Admin key it is: openai (sk-admin-..., default) or anthropic (sk-ant-admin...)")
    reg.set_defaults(func=_register)
    rev = actions.add_parser("revoke", help="revoke a team's key (the ciphertext is deleted)")
    rev.add_argument("team_id")
    add_provider_argument(rev, "whose key to revoke: openai (default) or anthropic")
    rev.set_defaults(func=_revoke)


def read_key(key_file: Path | None, team_id: str, label: str = "OpenAI") -> str:
    if key_file is not None:
        try:
            return key_file.read_text()
        except OSError as exc:
            raise UsageError(f"The key file {key_file} cannot be read ({exc.strerror}); check the path and its permissions.") from None
    if sys.stdin is None:
        raise UsageError("No key file and no standard input; pass --key-file PATH or pipe the key in.")
    if sys.stdin.isatty():
        return getpass.getpass(f"{label} Admin key for team {team_id} (input hidden): ")
    return sys.stdin.read()


def _register(args: argparse.Namespace) -> int:
    from finops.providers import provider
    from finops.registry import Registry

    spec = provider(args.provider)
    result = Registry().register_key(args.team_id, read_key(args.key_file, args.team_id, spec.label), actor(),
                                     verify=not args.no_verify, provider=spec.name)
    verb = f"rotated (replaces {result.rotated.redacted})" if result.rotated else "registered"
    checked = f"verified against the {spec.label} API" if result.verified else "not verified (--no-verify)"
    print(f"{spec.label} Admin key {result.key.redacted} ({result.key.fingerprint}) {verb} for team "
          f"{args.team_id}; {checked}.")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from finops.providers import provider
    from finops.registry import Registry

    spec = provider(args.provider)
    info = Registry().revoke_key(args.team_id, actor(), provider=spec.name)
    where = "the OpenAI dashboard" if spec.name == "openai" else "the Anthropic Console"
    print(f"{spec.label} Admin key {info.redacted} of team {args.team_id} is revoked and its ciphertext deleted; "
          f"also revoke it in {where}.")
    return 0

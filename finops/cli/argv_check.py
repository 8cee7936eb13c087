"""Refuse secret keys on the command line before anything else runs: the standard library only, so it is instant."""

from __future__ import annotations

from finops.errors import UsageError
from finops.redaction import LOOKS_LIKE_KEY

#: Anything shaped like a provider's secret key: the one definition in :mod:`finops.redaction` (stdlib only).
KEY_ON_ARGV = LOOKS_LIKE_KEY


def refuse_keys_on_argv(argv: list[str]) -> None:
    """A key on the command line is visible to other users (ps) and lands in shell history."""
    if any(KEY_ON_ARGV.search(arg) for arg in argv):
        raise UsageError(
            "A provider's secret key (sk-...) was given on the command line, where other users and the shell history can see it; "
            "pass it with --key-file PATH or on standard input, and consider rotating it."
        )

"""Refuse secret keys on the command line before anything else runs: the standard library only, so it is instant."""

from __future__ import annotations

import re

from finops.errors import UsageError

#: Anything shaped like an OpenAI secret key (admin, project, service account, legacy). The registry's
#: ``admin_keys.LOOKS_LIKE_KEY`` must match the same texts (tests/unit/test_cli_fast.py holds them equal).
KEY_ON_ARGV = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")


def refuse_keys_on_argv(argv: list[str]) -> None:
    """A key on the command line is visible to other users (ps) and lands in shell history."""
    if any(KEY_ON_ARGV.search(arg) for arg in argv):
        raise UsageError(
            "An OpenAI key was given on the command line, where other users and the shell history can see it; "
            "pass it with --key-file PATH or on standard input, and consider rotating it."
        )

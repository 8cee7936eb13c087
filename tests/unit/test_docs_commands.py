"""Commands in the docs exist: every ``finops ...`` and ``make ...`` in docs/**/*.md is checked.

- ``finops`` commands (in fenced blocks and inline code) must be public commands of the product
  brief (PUBLIC_COMMANDS, copied from PRODUCT.md) AND exist in ``finops.cli.build_parser()``.
  In fenced blocks, where the arguments are real values, the whole line must parse.
  The parser check tolerates a top-level group that is not built yet (``build_parser`` skips
  missing modules) only for names in PUBLIC_COMMANDS; once every group exists the check is strict,
  and ``test_every_public_command_is_in_the_parser`` says which are still missing.
- ``make`` targets must exist in the Makefile.
- Fenced blocks marked ``bash runnable`` are executed (from the repository root) and must exit 0;
  keep them to fast commands without side effects. Other ``bash`` blocks are syntax-checked.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").rglob("*.md"))

# The command line of the product brief (PRODUCT.md, "Public names").
PUBLIC_COMMANDS = {
    ("db", "upgrade"), ("db", "downgrade"), ("db", "current"),
    ("teams", "add"), ("teams", "list"), ("teams", "deactivate"),
    ("keys", "register"), ("keys", "revoke"),
    ("projects", "add"), ("projects", "remove"), ("projects", "list"),
    ("validate-setup",), ("test-costs-api",),
    ("settings", "import"),
    ("simulator",),
    ("budgets", "set"), ("budgets", "list"), ("budgets", "remove"),
    ("alerts", "mute"), ("alerts", "unmute"), ("alerts", "mutes"),
    ("report",),
    ("export", "focus"),
    ("members", "add"), ("members", "list"), ("members", "remove"),
    ("channels", "set"), ("channels", "list"),
}

FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
COMMAND = re.compile(r"(?:^|[\s;&|(])((?:finops|make)\s+[^;&|#)]*)")


def _blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(text)]


def _commands() -> list[tuple[str, str, bool]]:
    """(doc, command, from_a_shell_block) for every finops/make command in the docs."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        rel = str(doc.relative_to(ROOT))
        for info, body in _blocks(text):
            if info.split()[:1] not in (["bash"], ["sh"], []):
                continue
            for line in body.splitlines():
                line = line.split(" #")[0].strip()
                for m in COMMAND.finditer(line):
                    found.append((rel, m.group(1).strip(), True))
        prose = FENCE.sub("", text)
        for span in INLINE.findall(prose):
            for m in COMMAND.finditer(span):
                found.append((rel, m.group(1).strip(), False))
    return found


COMMANDS = _commands()


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _path(words: list[str]) -> tuple[str, ...]:
    """The leading words that name a subcommand (lower-case names, before options or values)."""
    path: list[str] = []
    for word in words:
        if not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        path.append(word)
    return tuple(path)


@pytest.fixture(scope="module")
def parser():
    from finops.cli import build_parser

    return build_parser()


def test_the_docs_mention_commands():
    assert DOCS, "no docs found"
    assert any(c.startswith("finops ") for _, c, _ in COMMANDS)
    assert any(c.startswith("make ") for _, c, _ in COMMANDS)


@pytest.mark.parametrize("doc,command,in_block", [c for c in COMMANDS if c[1].startswith("finops ")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_finops_command_exists(parser, doc, command, in_block):
    words = shlex.split(command)[1:]
    path = _path(words)
    if not path and words and words[0] in ("--help", "-h"):
        return  # the program's own help: always there
    public = next((p for p in PUBLIC_COMMANDS if path[: len(p)] == p), None)
    assert public, f"{doc}: `{command}` is not a public command of PRODUCT.md"
    groups = _subparsers(parser)
    assert public[0] in groups, f"{doc}: `finops {public[0]}` is documented but not in the CLI"
    sub = groups[public[0]]
    for name in public[1:]:
        choices = _subparsers(sub)
        assert name in choices, f"{doc}: `finops {' '.join(public)}` is not in the CLI parser"
        sub = choices[name]
    if in_block and not re.search(r"[\[\]{}<>]|\.\.\.", command):
        try:
            parser.parse_args(words)
        except SystemExit as exc:
            pytest.fail(f"{doc}: `{command}` does not parse (exit {exc.code})")


def test_every_public_command_is_in_the_parser(parser):
    missing = []
    for command in sorted(PUBLIC_COMMANDS):
        sub = parser
        for name in command:
            choices = _subparsers(sub)
            if name not in choices:
                missing.append(" ".join(command))
                break
            sub = choices[name]
    assert not missing, f"public commands missing from finops.cli: {missing}"


def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z0-9-]*):", (ROOT / "Makefile").read_text(), flags=re.M))


@pytest.mark.parametrize("doc,command,in_block", [c for c in COMMANDS if c[1].startswith("make ")],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_make_target_exists(doc, command, in_block):
    targets = [w for w in shlex.split(command)[1:] if not w.startswith("-") and "=" not in w]
    assert targets, f"{doc}: `{command}` names no target"
    unknown = [t for t in targets if t not in _make_targets()]
    assert not unknown, f"{doc}: `{command}`: no such make target {unknown}"


SHELL_BLOCKS = [(str(doc.relative_to(ROOT)), info, body) for doc in DOCS for info, body in _blocks(doc.read_text())
                if info.split()[:1] == ["bash"]]


@pytest.mark.parametrize("doc,info,body", SHELL_BLOCKS, ids=lambda v: v if isinstance(v, str) and v.endswith(".md") else "")
def test_shell_blocks(doc, info, body):
    syntax = subprocess.run(["bash", "-n"], input=body, capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, f"{doc}: shell syntax error: {syntax.stderr}"
    if "runnable" in info.split():
        out = subprocess.run(["bash", "-euo", "pipefail"], input=body, capture_output=True, text=True,
                             cwd=ROOT, timeout=120, check=False)
        assert out.returncode == 0, f"{doc}: runnable block failed:\n{body}\n{out.stdout[-2000:]}{out.stderr[-2000:]}"

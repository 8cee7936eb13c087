"""The command line answers help and usage errors without importing Airflow, providers or the registry."""

from __future__ import annotations

import subprocess
import sys

import pytest

from finops.errors import UsageError

HEAVY = ("airflow", "boto3", "botocore", "psycopg", "sqlalchemy", "great_expectations", "pandas", "yaml",
         "finops.registry")

PROBE = """
import sys
from finops.cli import main
try:
    code = main({argv!r})
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} or m.startswith('finops.registry'))
print('CODE', code)
print('HEAVY', ','.join(heavy))
"""


def _probe(argv: list[str]) -> tuple[int, list[str], str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=set(HEAVY))],
                         capture_output=True, text=True, check=True)
    lines = dict(line.split(" ", 1) if " " in line else (line, "") for line in out.stdout.splitlines()
                 if line.startswith(("CODE", "HEAVY")))
    return int(lines["CODE"]), [m for m in lines["HEAVY"].split(",") if m], out.stdout + out.stderr


@pytest.mark.parametrize("argv, code", [
    (["--help"], 0),
    (["keys", "--help"], 0),
    (["teams", "--help"], 0),
    (["projects", "add", "--help"], 0),
    (["teams", "bogus"], 2),
    (["keys", "register"], 2),
    (["keys", "register", "growth", "--key-file", "sk-admin-abcdefghijklmnop"], 2),
])
def test_help_and_usage_errors_import_nothing_heavy(argv, code):
    got, heavy, output = _probe(argv)
    assert got == code, output
    assert heavy == [], f"`finops {' '.join(argv)}` imported {heavy}"


def test_a_key_on_argv_is_refused_in_one_sentence(capsys):
    from finops.cli import main

    assert main(["keys", "register", "growth", "sk-admin-" + "a" * 30]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: A provider's secret key (sk-...) was given on the command line") and "sk-admin-" not in err


def test_the_argv_check_uses_the_one_key_shape():
    from finops.cli.argv_check import KEY_ON_ARGV, refuse_keys_on_argv
    from finops.redaction import LOOKS_LIKE_KEY

    assert KEY_ON_ARGV is LOOKS_LIKE_KEY
    for key in ("sk-admin-abcdefgh12", "sk-ant-admin01-abcdefgh", "--key=sk-proj-abcdefgh"):
        with pytest.raises(UsageError, match="secret key"):
            refuse_keys_on_argv(["keys", "register", "t1", key])
    refuse_keys_on_argv(["keys", "register", "task-runner", "sk-admin...abcd"])  # a word and a redacted form


def test_a_missing_command_module_fails_loudly(monkeypatch, capsys):
    import finops.cli as cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "reports"))
    assert cli.main(["--help"]) == 1
    assert "The command group `reports` (module finops.cli.reports) is missing" in capsys.readouterr().err

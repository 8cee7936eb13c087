"""The ``finops`` command line for teams, keys, projects, validate-setup and test-costs-api, against the
real PostgreSQL, moto's KMS over HTTP and the simulator over HTTP."""

from __future__ import annotations

import io
import logging

import pytest
from simulator_fixtures import HEALTHY, OTHER

from finops.cli import main


@pytest.fixture
def cli(db, kms_endpoint, simulator, capsys, caplog, monkeypatch):
    """Run ``finops ARGS`` in-process; returns (exit code, stdout, stderr)."""
    from airflow.models import Pool

    Pool.create_or_update_pool("openai_api", slots=4, description="Caps concurrent calls to the OpenAI API.",
                               include_deferred=False)
    caplog.set_level(logging.DEBUG)
    simulator.reset_faults()

    def run(*args: str, stdin: str | None = None):
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin) if stdin is not None else io.StringIO(""))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    run.simulator = simulator
    run.logs = lambda: caplog.text
    return run


def setup_team(cli, team="growth", org=HEALTHY, status="active", projects=None, verify=True):
    assert cli("teams", "add", team, "--name", "Growth team")[0] == 0
    flags = [] if verify else ["--no-verify"]
    code, out, err = cli("keys", "register", team, *flags, stdin=cli.simulator.key(org, status) + "\n")
    assert code == 0, err
    for pid in projects if projects is not None else cli.simulator.project_ids(org):
        assert cli("projects", "add", team, pid, *flags)[0] == 0


def test_register_verify_list_and_revoke(cli, tmp_path):
    setup_team(cli)
    key = cli.simulator.key(HEALTHY)
    code, out, _ = cli("teams", "list")
    assert code == 0 and "growth" in out and f"sk-admin...{key[-4:]}" in out and key not in out
    code, out, _ = cli("projects", "list", "growth")
    assert code == 0 and "Web" in out and "proj_healthyWeb" in out  # name from the live check
    key_file = tmp_path / "key"
    key_file.write_text(cli.simulator.key(HEALTHY) + "\n")
    code, out, _ = cli("keys", "register", "growth", "--key-file", str(key_file))
    assert code == 0 and "rotated" in out and "verified against the OpenAI API" in out
    code, out, _ = cli("keys", "revoke", "growth")
    assert code == 0 and "revoked" in out
    assert key not in cli.logs()


def test_validate_setup_for_a_healthy_team(cli):
    setup_team(cli)
    code, out, err = cli("validate-setup", "growth")
    assert code == 0, out + err
    assert "[ok  ] growth: key decrypts (KMS)" in out and "[ok  ] growth: key accepted by OpenAI" in out
    assert "[ok  ] growth: project proj_healthyWeb: Web" in out
    assert out.strip().splitlines()[-1].startswith("PASSED")


@pytest.mark.parametrize(
    ("status", "projects", "fragment"),
    [
        ("revoked", None, "re-register"),            # the API answers 401
        ("no_scope", None, "permission"),            # the API answers 403
        ("active", ["proj_notInThisOrg"], "check the ID belongs to the organization of this Admin key"),
    ],
)
def test_validate_setup_failures_say_what_to_do(cli, status, projects, fragment):
    setup_team(cli, status=status, projects=projects, verify=False)
    code, out, _ = cli("validate-setup", "growth")
    assert code == 1
    fails = [line for line in out.splitlines() if line.startswith("[FAIL]")]
    assert fails and fragment in "\n".join(fails)
    assert out.strip().splitlines()[-1].startswith("FAILED")
    assert cli.simulator.key(HEALTHY, status) not in out + cli.logs()


def test_validate_setup_for_a_team_without_key(cli):
    assert cli("teams", "add", "empty")[0] == 0
    code, out, _ = cli("validate-setup", "empty")
    assert code == 1
    assert "[FAIL] empty: admin key: no active key; register one with `finops keys register empty`" in out
    assert "[FAIL] empty: project ids: none registered" in out


def test_test_costs_api_prints_pages_rows_totals_and_silent_projects(cli):
    setup_team(cli, projects=[*cli.simulator.project_ids(HEALTHY), cli.simulator.project_ids(OTHER)[0]], verify=False)
    code, out, err = cli("test-costs-api", "growth", "--days", "5")
    assert code == 0, err
    assert "pages 1, requests 1" in out and "rows " in out
    assert "proj_healthyWeb" in out and "total" in out
    assert f"note: {cli.simulator.project_ids(OTHER)[0]} returned no costs" in out
    assert "Nothing was written to the warehouse." in out


def test_test_costs_api_with_a_revoked_key_exits_1(cli):
    setup_team(cli, status="revoked", verify=False)
    code, _, err = cli("test-costs-api", "growth", "--days", "2")
    assert code == 1 and "re-register" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "stdin", "code", "fragment"),
    [
        (["keys", "register", "growth"], "", 2, "No Admin key was given"),
        (["keys", "register", "growth"], "sk-admin-abc\ndef-ghi-jkl-mno-pqr-stu\n", 2, "whitespace inside"),
        (["keys", "register", "ghost", "--no-verify"], "sk-admin-" + "a" * 40, 1, "Team ghost does not exist"),
        (["keys", "register", "growth", "--key-file", "/nonexistent/key"], None, 2, "cannot be read"),
        (["projects", "add", "growth", "project-1", "--no-verify"], None, 2, "looks like `proj_`"),
        (["teams", "add", "Not A Valid Id"], None, 2, "A team id is"),
        (["teams", "frobnicate"], None, 2, "invalid choice"),
    ],
)
def test_bad_input_gets_one_sentence_and_the_right_exit_code(cli, args, stdin, code, fragment):
    assert cli("teams", "add", "growth")[0] == 0
    if args[:2] == ["teams", "frobnicate"]:
        with pytest.raises(SystemExit) as excinfo:
            cli(*args)
        assert excinfo.value.code == 2
        return
    got, out, err = cli(*args, stdin=stdin)
    assert got == code and fragment in err
    assert len(err.strip().splitlines()) == 1


def test_a_key_on_argv_is_refused_without_echo(cli):
    key = cli.simulator.key(HEALTHY)
    code, out, err = cli("keys", "register", "growth", key)
    assert code == 2 and "command line" in err and key not in out + err

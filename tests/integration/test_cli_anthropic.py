"""``finops ... --provider anthropic`` against the real PostgreSQL, moto's KMS and the simulator over HTTP."""
# ruff: noqa: F811 - `cli` is the fixture imported from test_cli

from __future__ import annotations

import pytest
from simulator_fixtures import A_HEALTHY, A_OTHER, HEALTHY
from test_cli import cli, setup_team  # noqa: F401 - `cli` is the fixture

WORKSPACES = ["wrkspc_healthyChat", "default"]


@pytest.fixture(autouse=True)
def anthropic_pool():
    from airflow.models import Pool

    Pool.create_or_update_pool("anthropic_api", slots=2, description="Caps concurrent calls to the Anthropic API.",
                               include_deferred=False)


def setup_anthropic(run, team="growth", org=A_HEALTHY, status="active", workspaces=WORKSPACES, verify=True):
    flags = [] if verify else ["--no-verify"]
    code, out, err = run("keys", "register", team, "--provider", "anthropic", *flags,
                         stdin=run.simulator.key(org, status) + "\n")
    assert code == 0, err
    for workspace in workspaces:
        code, out, err = run("projects", "add", team, workspace, "--provider", "anthropic", *flags)
        assert code == 0, err
    return out


def test_a_team_with_both_providers_registers_lists_validates_and_revokes(cli):
    setup_team(cli)
    setup_anthropic(cli)
    key = cli.simulator.key(A_HEALTHY)
    code, out, _ = cli("projects", "list", "growth")
    rows = [line.split() for line in out.splitlines()]
    assert code == 0 and ["growth", "anthropic", "default", "Default", "workspace", "active"] == rows[2][:6]
    assert ["growth", "anthropic", "wrkspc_healthyChat", "Chat"] == rows[3][:4] and ["growth", "openai", "proj_healthyBatch"] == rows[4][:3]
    code, out, _ = cli("projects", "list", "growth", "--provider", "anthropic")
    assert "proj_healthyWeb" not in out and "wrkspc_healthyChat" in out

    code, out, err = cli("validate-setup", "growth")
    assert code == 0, out + err
    for line in ("[ok  ] growth: key accepted by OpenAI", "[ok  ] growth: Anthropic admin key: sk-ant-admin...",
                 "[ok  ] growth: Anthropic key decrypts (KMS)", "[ok  ] growth: key accepted by Anthropic",
                 "[ok  ] growth: workspace wrkspc_healthyChat: Chat", "[ok  ] growth: workspace default",
                 "[ok  ] airflow: connection anthropic_api", "[ok  ] airflow: pool anthropic_api"):
        assert line in out, line

    code, out, _ = cli("keys", "revoke", "growth", "--provider", "anthropic")
    assert code == 0 and "Anthropic Admin key sk-ant-admin..." in out and "Anthropic Console" in out
    code, out, _ = cli("validate-setup", "growth")
    assert code == 1 and "[ok  ] growth: key accepted by OpenAI" in out
    assert ("[FAIL] growth: Anthropic admin key: no active key; register one with "
            "`finops keys register growth --provider anthropic`") in out
    assert key not in out + cli.logs()


def test_anthropic_only_team_is_checked_for_anthropic_only(cli):
    assert cli("teams", "add", "research")[0] == 0
    setup_anthropic(cli, team="research", workspaces=["wrkspc_healthyOld"])
    code, out, _ = cli("validate-setup", "research")
    assert code == 0 and "key accepted by OpenAI" not in out
    assert "[warn] research: workspace wrkspc_healthyOld: Old (archived: no new costs expected)" in out


@pytest.mark.parametrize(("status", "workspaces", "fragment"), [
    ("revoked", WORKSPACES, "The Anthropic API rejected the Admin key"),
    ("active", ["wrkspc_otherOnly"], "check the ID belongs to the organization of this Admin key"),
])
def test_validate_setup_failures_for_anthropic_say_what_to_do(cli, status, workspaces, fragment):
    assert cli("teams", "add", "growth")[0] == 0
    setup_anthropic(cli, status=status, workspaces=workspaces, verify=False)
    code, out, _ = cli("validate-setup", "growth")
    fails = "\n".join(line for line in out.splitlines() if line.startswith("[FAIL]"))
    assert code == 1 and fragment in fails and cli.simulator.key(A_HEALTHY, status) not in out + cli.logs()


def test_test_costs_api_prints_workspace_totals_and_skipped_workspaces(cli):
    assert cli("teams", "add", "growth")[0] == 0
    setup_anthropic(cli, workspaces=["wrkspc_healthyChat", cli.simulator.workspace_ids(A_OTHER)[0]], verify=False)
    code, out, err = cli("test-costs-api", "growth", "--provider", "anthropic", "--days", "40")
    assert code == 0, err
    assert "Anthropic cost API for team growth" in out and "pages 2, requests 2" in out
    assert "wrkspc_healthyChat" in out and "total" in out
    assert f"note: {cli.simulator.workspace_ids(A_OTHER)[0]} returned no costs" in out
    skipped = [line for line in out.splitlines() if line.startswith("skipped: ")]
    assert {line.split(" of workspace ")[1].split(",")[0] for line in skipped} == {"default", "wrkspc_healthyAgents", "wrkspc_healthyOld"}
    assert all("`finops projects add growth " in line and "--provider anthropic`" in line for line in skipped)
    assert "Nothing was written to the warehouse." in out


@pytest.mark.parametrize(("args", "stdin", "code", "fragment"), [
    (["keys", "register", "growth", "--provider", "anthropic"], "sk-ant-api03-" + "a" * 40, 2,
     "Anthropic API key, not an Admin key"),
    (["keys", "register", "growth", "--provider", "anthropic", "--no-verify"], "sk-admin-" + "a" * 40, 2,
     "OpenAI Admin key, not an Anthropic one"),
    (["keys", "register", "growth", "--no-verify"], "sk-ant-admin01-" + "a" * 40, 2, "`--provider anthropic`"),
    (["projects", "add", "growth", "proj_abc", "--provider", "anthropic", "--no-verify"], None, 2, "`wrkspc_`"),
    (["projects", "add", "growth", "default", "--no-verify"], None, 2, "looks like `proj_`"),
    (["keys", "revoke", "growth", "--provider", "anthropic"], None, 1, "no active Anthropic Admin key"),
    (["test-costs-api", "growth", "--provider", "anthropic"], None, 2, "no Anthropic workspace IDs registered"),
    (["keys", "register", "growth", "--provider", "azure"], None, 2, "invalid choice"),
])
def test_bad_input_for_anthropic_is_one_sentence(cli, args, stdin, code, fragment):
    assert cli("teams", "add", "growth")[0] == 0
    if "azure" in args:
        with pytest.raises(SystemExit) as excinfo:
            cli(*args)
        assert excinfo.value.code == 2
        return
    got, out, err = cli(*args, stdin=stdin)
    assert got == code and fragment in err and len(err.strip().splitlines()) == 1
    if stdin:
        assert stdin not in out + err


def test_an_anthropic_key_on_argv_is_refused(cli):
    key = cli.simulator.key(A_HEALTHY)
    code, out, err = cli("keys", "register", "growth", "--provider", "anthropic", key)
    assert code == 2 and "command line" in err and key not in out + err


def test_existing_commands_still_mean_openai(cli):
    setup_team(cli)
    code, out, _ = cli("keys", "register", "growth", stdin=cli.simulator.key(HEALTHY))
    assert code == 0 and "OpenAI Admin key sk-admin..." in out and "verified against the OpenAI API" in out

"""``finops settings import``: Astro-format settings into Airflow's metadata database, idempotently."""

from __future__ import annotations

import secrets
import textwrap

import pytest

from finops.cli import main
from finops.settings_import import SettingsFileError, import_settings, parse


@pytest.fixture
def names():
    """Unique ids in the shared metadata database, removed afterwards."""
    suffix = secrets.token_hex(4)
    ids = {"conn": f"test_conn_{suffix}", "var": f"test_var_{suffix}", "pool": f"test_pool_{suffix}"}
    yield ids
    from airflow.models import Connection, Pool, Variable
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == ids["conn"]).delete()
        session.query(Variable).filter(Variable.key == ids["var"]).delete()
        session.query(Pool).filter(Pool.pool == ids["pool"]).delete()


def settings_file(tmp_path, names, port="${TEST_SETTINGS_PORT:-5439}", slots=3):
    path = tmp_path / "airflow_settings.yaml"
    path.write_text(textwrap.dedent(f"""\
        airflow:
          connections:
            - conn_id: {names['conn']}
              conn_type: postgres
              conn_host: 127.0.0.1
              conn_port: {port}
              conn_login: someone
              conn_password: s3cret-value
              conn_extra:
                sslmode: disable
          variables:
            - variable_name: {names['var']}
              variable_value: "0.9"
          pools:
            - pool_name: {names['pool']}
              pool_slot: {slots}
              pool_description: test pool
        """))
    return path


def test_import_creates_then_changes_nothing_then_updates(tmp_path, names, monkeypatch):
    from airflow.models import Connection, Pool, Variable

    monkeypatch.setenv("TEST_SETTINGS_PORT", "6543")
    path = settings_file(tmp_path, names)
    first = import_settings(path)
    assert set(first.created) == {f"connection {names['conn']}", f"variable {names['var']}", f"pool {names['pool']}"}
    conn = Connection.get_connection_from_secrets(names["conn"])
    assert (conn.host, conn.port, conn.login, conn.extra_dejson) == ("127.0.0.1", 6543, "someone", {"sslmode": "disable"})
    assert Variable.get(names["var"]) == "0.9"
    assert Pool.get_pool(names["pool"]).slots == 3

    second = import_settings(path)
    assert second.created == [] and second.updated == [] and len(second.unchanged) == 3

    third = import_settings(settings_file(tmp_path, names, slots=5))
    assert third.updated == [f"pool {names['pool']}"]
    assert Pool.get_pool(names["pool"]).slots == 5


def test_cli_import_prints_what_changed(tmp_path, names, capsys):
    path = settings_file(tmp_path, names)
    assert main(["settings", "import", str(path)]) == 0
    assert "created: " in capsys.readouterr().out
    assert main(["settings", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("unchanged: ") and "created" not in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("airflow:\n  connections:\n    - conn_id: x\n      conn_hots: db\n", r"line 4: unknown field `conn_hots` in connections"),
        ("airflow:\n  varaibles:\n    - variable_name: x\n", r"line 2: unknown section `varaibles`"),
        ("airflow:\n  pools:\n    - pool_name: [unclosed\n", r"line \d+ is not valid YAML"),
        ("airflow:\n  variables:\n    - variable_value: 3\n", r"line 3: an entry of `variables` has no `variable_name`"),
        ("astro:\n  variables: []\n", r"line 1: the file must have one top-level key `airflow:`"),
        ("airflow:\n  connections:\n    - conn_id: x\n      conn_port: ${NOT_SET_ANYWHERE}\n", r"NOT_SET_ANYWHERE.*not set"),
    ],
)
def test_typos_give_one_sentence_naming_the_line_and_field(tmp_path, text, message, capsys):
    path = tmp_path / "airflow_settings.yaml"
    path.write_text(text)
    with pytest.raises(SettingsFileError, match=message):
        parse(path)
    assert main(["settings", "import", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1


def test_the_shipped_settings_file_parses():
    from finops import paths

    settings = parse(paths.project_dir() / "airflow_settings.yaml")
    assert {c["conn_id"] for c in settings.connections} == {"finops_db", "aws_kms", "openai_api", "anthropic_api"}
    assert {v["variable_name"] for v in settings.variables} >= {
        "finops_kms_key_id", "finops_success_rate_threshold", "finops_lookback_days"}
    assert [p["pool_name"] for p in settings.pools] == ["openai_api", "anthropic_api"]

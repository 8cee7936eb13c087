"""Connections and variables read from AIRFLOW_CONN_/AIRFLOW_VAR_ without Airflow give Airflow's own answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from finops.lookup import _connection_from_json, _connection_from_uri

FIELDS = ("conn_type", "host", "schema", "login", "password", "port", "extra")

URIS = [
    "postgresql://finops:s%40cret@db.example.com:5433/finops",
    "postgres://finops:pw@127.0.0.1:5432/finops?sslmode=require&options=-c%20search_path%3Dfinops",
    "postgres://user@host/db%2Fwith%2Fslash",
    "postgres://host",
    "my-conn-type://login:pass@Host.Example.COM:1/schema",
    "http://https://api.example.com",
    "postgres://u:p@h:5432/db?__extra__=%7B%22sslmode%22%3A+%22verify-full%22%7D",
    "postgres://%2Ftmp%2Fsocket/finops",
    "postgres://u:p@h/db?empty=",
]
JSONS = [
    {"conn_type": "postgres", "host": "127.0.0.1", "port": 55229, "schema": "finops", "login": "finops",
     "password": "x y"},
    {"conn_type": "postgresql", "host": "h", "port": "5432", "extra": {"sslmode": "require"}},
    {"conn_type": "my-type", "host": "h", "port": 0, "extra": '{"a": 1}'},
    {"host": "h", "extra": {}},
]


@pytest.mark.parametrize("uri", URIS)
def test_a_uri_parses_as_airflow_parses_it(uri):
    from airflow.sdk.definitions.connection import Connection

    theirs = Connection.from_uri(uri, conn_id="finops_db")
    ours = _connection_from_uri("finops_db", uri)
    assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(theirs, f) for f in FIELDS}
    assert ours.extra_dejson == theirs.extra_dejson


@pytest.mark.parametrize("value", JSONS)
def test_json_parses_as_airflow_parses_it(value):
    from airflow.sdk.definitions.connection import Connection

    text = json.dumps(value)
    theirs = Connection.from_json(text, conn_id="finops_db")
    ours = _connection_from_json("finops_db", text)
    assert {f: getattr(ours, f) for f in FIELDS} == {f: getattr(theirs, f) for f in FIELDS}


PROBE = """
import sys
from finops.lookup import environment_connection, get_variable
conn = environment_connection("finops_db")
print("CONN", None if conn is None else (conn.host, conn.port, conn.schema, conn.login))
print("AIRFLOW", "airflow" in sys.modules)
print("VAR", get_variable("finops_lookback_days", "default") if {var!r} else "-")
print("AIRFLOW", "airflow" in sys.modules)
"""


def _probe(env: dict[str, str], var: bool = False) -> list[str]:
    # Airflow's own settings too (``make test`` exports the test metastore's URL): the probe's Airflow is a fresh
    # one in ``AIRFLOW_HOME``, so what other tests stored in the metastore cannot answer for it.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_", "AIRFLOW__",
                                                                      "AIRFLOW_CONFIG"))}
    out = subprocess.run([sys.executable, "-c", PROBE.format(var=var)], env={**clean, **env}, capture_output=True,
                         text=True, check=True)
    return [line for line in out.stdout.splitlines() if line.startswith(("CONN", "AIRFLOW", "VAR"))]


def test_the_environment_answers_without_importing_airflow(tmp_path):
    env = {"AIRFLOW_HOME": str(tmp_path), "AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "3",
           "AIRFLOW_CONN_FINOPS_DB": "postgresql://finops:pw@db.internal:5433/warehouse"}
    assert _probe(env, var=True) == ["CONN ('db.internal', 5433, 'warehouse', 'finops')", "AIRFLOW False",
                                     "VAR 3", "AIRFLOW False"]


def test_a_custom_secrets_backend_leaves_the_lookup_to_airflow(tmp_path):
    env = {"AIRFLOW_HOME": str(tmp_path), "AIRFLOW_CONN_FINOPS_DB": "postgresql://finops:pw@db.internal:5433/w"}
    (tmp_path / "airflow.cfg").write_text("[secrets]\nbackend = my.vault.Backend\n")
    assert _probe(env)[0] == "CONN None"
    (tmp_path / "airflow.cfg").write_text("[secrets]\nbackend =\n")
    assert _probe(env)[0] == "CONN ('db.internal', 5433, 'w', 'finops')"
    assert _probe({**env, "AIRFLOW__SECRETS__BACKEND": "my.vault.Backend"})[0] == "CONN None"


def test_a_variable_missing_from_the_environment_is_asked_of_airflow(tmp_path):
    lines = _probe({"AIRFLOW_HOME": str(tmp_path)}, var=True)
    assert lines[-2:] == ["VAR default", "AIRFLOW True"]

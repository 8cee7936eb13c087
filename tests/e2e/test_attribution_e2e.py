"""Runaway keys end to end: ``airflow dags test`` of both collection DAGs over three weeks, then of
``finops_spend_alerts``: each provider's runaway key alerts once, naming its key, redacted value, owner and
project (the team total shows no spike), a rerun sends nothing, and ``finops report --by api_key`` equals SQL."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from simulator_fixtures import A_KEY_RUNAWAY, A_KEYS, KEY_RUNAWAY, KEY_SPIKE, KEYS

from finops.cli import main
from finops.money import add
from finops.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START, END = date(2026, 2, 18), date(2026, 3, 12)
ACTOR = "cli:e2e"


def dags_test(dag_id: str, day: date, conf: dict | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({"AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1", "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    argv = [str(BIN / "airflow"), "dags", "test", dag_id, day.isoformat()]
    if conf:
        argv += ["--conf", json.dumps(conf)]
    timeout = int(os.environ.get("FINOPS_DAGS_TEST_TIMEOUT", "240"))
    try:
        return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"`airflow dags test {dag_id}` did not finish in {timeout} s; its output ends with:\n{out[-4000:]}")


@pytest.fixture
def teams(db, kms_endpoint, simulator):
    """``agents`` on OpenAI (org-keys) and on Anthropic (anth-keys)."""
    registry = Registry()
    registry.add_team("agents", ACTOR)
    registry.register_key("agents", simulator.key(KEYS), ACTOR, verify=False)
    registry.add_project("agents", "proj_keysApp", ACTOR, verify=False)
    registry.register_key("agents", simulator.key(A_KEYS), ACTOR, verify=False, provider="anthropic")
    registry.add_project("agents", "wrkspc_keysApp", ACTOR, verify=False, provider="anthropic")
    simulator.reset_faults()
    simulator.set_today(None)
    return registry


@pytest.mark.timeout(1500)  # four `airflow dags test` runs, beside other sessions
def test_the_runaway_key_alerts_once_naming_its_owner_and_the_report_equals_sql(teams, db, webhook, capsys):
    conf = {"start_date": START.isoformat(), "end_date": END.isoformat()}
    for dag_id in ("openai_costs_daily", "anthropic_costs_daily"):
        result = dags_test(dag_id, date(2026, 3, 13), conf)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    alerts = dags_test("finops_spend_alerts", date(2026, 3, 14))
    assert alerts.returncode == 0, alerts.stdout[-3000:] + alerts.stderr[-3000:]

    received = sorted((b["kind"], b["provider"], b["scope"], b["period"]) for b in webhook.received)
    assert received == [("spend_anomaly", "anthropic", f"api_key:{A_KEY_RUNAWAY}", KEY_SPIKE.isoformat()),
                        ("spend_anomaly", "openai", f"api_key:{KEY_RUNAWAY}", KEY_SPIKE.isoformat())]
    openai = next(b["text"] for b in webhook.received if b["provider"] == "openai")
    for words in ("API key agent-loop", "sk-proj-****", "owner dana@example.com", "project proj_keysApp"):
        assert words in openai
    anthropic = next(b["text"] for b in webhook.received if b["provider"] == "anthropic")
    for words in ("API key agent-loop", "sk-ant-api03-", "owner user_dana", "project wrkspc_keysApp"):
        assert words in anthropic
    again = dags_test("finops_spend_alerts", date(2026, 3, 14))
    assert again.returncode == 0, again.stdout[-3000:]
    assert len(webhook.received) == 2  # fired once
    assert db.execute("SELECT count(*) FROM finops.alerts WHERE scope LIKE 'api_key:%%'").fetchone()[0] == 2

    capsys.readouterr()
    assert main(["report", "--by", "api_key,provider", "--from", START.isoformat(), "--to", END.isoformat(),
                 "--format", "csv"]) == 0
    records = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    got: dict = defaultdict(Decimal)
    for r in records:
        key = (r["provider"], r["api_key_id"] or None, r["allocated"] == "True")
        got[key] = add(got[key], Decimal(r["amount"]))
    sql = {(p, k, a): v for p, k, a, v in db.execute(
        "SELECT provider::text, api_key_id, allocated, sum(amount) FROM finops.cost_data GROUP BY 1, 2, 3")}
    assert dict(got) == sql
    assert ("anthropic", A_KEY_RUNAWAY, True) in sql and ("openai", KEY_RUNAWAY, False) in sql
    runaway = next(r for r in records if r["api_key_id"] == KEY_RUNAWAY)
    assert (runaway["key_name"], runaway["owner"]) == ("agent-loop", "dana@example.com")

"""Usage end to end: ``airflow dags test`` of both collection DAGs loads costs and usage, then ``finops report
--usage`` token totals per model equal SQL over finops.usage_data and its unit costs equal cost / tokens in SQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from simulator_fixtures import A_HEALTHY, HEALTHY

from finops.cli import main
from finops.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAY = date(2026, 3, 20)
FIRST, LAST = date(2026, 3, 18), date(2026, 3, 19)  # the run's day and its one look-back day
ACTOR = "cli:e2e"

#: Anthropic's model ids named as the report names them (the line items' model), as segments.sql does.
TOKENS_SQL = """
WITH names AS (
    SELECT DISTINCT c.provider, c.model AS api_model, li.model
    FROM finops.cost_data c JOIN finops.line_items li USING (provider, line_item) WHERE c.model IS NOT NULL)
SELECT u.provider::text, COALESCE(n.model, u.model), sum(u.input_tokens), sum(u.cache_read_tokens),
       sum(u.cache_write_tokens), sum(u.output_tokens)
FROM finops.usage_data u LEFT JOIN names n ON n.provider = u.provider AND n.api_model = u.model
GROUP BY 1, 2
"""
UNIT_SQL = """
WITH names AS (
    SELECT DISTINCT c.provider, c.model AS api_model, li.model
    FROM finops.cost_data c JOIN finops.line_items li USING (provider, line_item) WHERE c.model IS NOT NULL),
tokens AS (
    SELECT u.provider::text AS provider, COALESCE(n.model, u.model) AS model,
           sum(u.input_tokens + u.cache_read_tokens + u.cache_write_tokens + u.output_tokens) AS n
    FROM finops.usage_data u LEFT JOIN names n ON n.provider = u.provider AND n.api_model = u.model GROUP BY 1, 2),
costs AS (
    SELECT c.provider::text AS provider, li.model, sum(c.amount) AS cost
    FROM finops.cost_data c JOIN finops.line_items li USING (provider, line_item)
    WHERE li.cost_kind = 'tokens' AND li.token_kind IS NOT NULL GROUP BY 1, 2)
SELECT provider, model, round(cost * 1000000 / n, 6) FROM tokens JOIN costs USING (provider, model) WHERE n > 0
"""


def dags_test(dag_id: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({"AIRFLOW_VAR_FINOPS_LOOKBACK_DAYS": "1", "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    argv = [str(BIN / "airflow"), "dags", "test", dag_id, DAY.isoformat()]
    timeout = int(os.environ.get("FINOPS_DAGS_TEST_TIMEOUT", "240"))
    try:
        return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"`airflow dags test {dag_id}` did not finish in {timeout} s; its output ends with:\n{out[-4000:]}")


@pytest.fixture
def teams(db, kms_endpoint, simulator):
    """``growth`` on OpenAI, ``claude`` on Anthropic (a registered workspace and the default one)."""
    registry = Registry()
    registry.add_team("growth", ACTOR)
    registry.register_key("growth", simulator.key(HEALTHY), ACTOR, verify=False)
    for pid in simulator.project_ids(HEALTHY):
        registry.add_project("growth", pid, ACTOR, verify=False)
    registry.add_team("claude", ACTOR)
    registry.register_key("claude", simulator.key(A_HEALTHY), ACTOR, verify=False, provider="anthropic")
    for scope in ("wrkspc_healthyChat", "default"):
        registry.add_project("claude", scope, ACTOR, verify=False, provider="anthropic")
    simulator.reset_faults()
    return registry


@pytest.mark.timeout(900)  # two `airflow dags test` runs, beside other sessions
def test_both_dags_load_usage_and_the_usage_report_equals_sql(teams, db, capsys):
    for dag_id in ("openai_costs_daily", "anthropic_costs_daily"):
        result = dags_test(dag_id)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "Usage reconciliation" in result.stdout + result.stderr
    loaded = db.execute("SELECT provider::text, team_id, array_agg(DISTINCT usage_date ORDER BY usage_date), "
                        "count(DISTINCT collection_run_id) FROM finops.usage_data GROUP BY 1, 2 ORDER BY 1").fetchall()
    cost_days = db.execute("SELECT c.provider::text, c.team_id, array_agg(DISTINCT c.usage_date ORDER BY c.usage_date) "
                           "FROM finops.cost_data c JOIN finops.line_items li USING (provider, line_item) "
                           "WHERE li.cost_kind = 'tokens' GROUP BY 1, 2 ORDER BY 1").fetchall()
    assert [r[:3] for r in loaded] == cost_days and [r[3] for r in loaded] == [1, 1]  # every day with token costs
    assert [r[:2] for r in loaded] == [("anthropic", "claude"), ("openai", "growth")]
    assert all(FIRST <= day <= LAST for r in loaded for day in r[2])
    runs = db.execute("SELECT DISTINCT r.status FROM finops.usage_data u JOIN finops.collection_runs r "
                      "ON r.run_id = u.collection_run_id").fetchall()
    assert runs == [("success",)]

    assert main(["report", "--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--by", "provider,model",
                 "--usage", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    reported = {(r["provider"], r["model"]): (r["input_tokens"], r["cache_read_tokens"], r["cache_write_tokens"],
                                              r["output_tokens"]) for r in records}
    in_sql = {(p, m): tuple(int(v) for v in rest) for p, m, *rest in db.execute(TOKENS_SQL)}
    assert in_sql and {k: reported[k] for k in in_sql} == in_sql
    assert {p for p, _ in in_sql} == {"openai", "anthropic"}
    units = {(p, m): v for p, m, v in db.execute(UNIT_SQL)}
    assert units and {k: Decimal(r["cost_per_1m_tokens"]) for r in records
                      if (k := (r["provider"], r["model"])) in units} == units

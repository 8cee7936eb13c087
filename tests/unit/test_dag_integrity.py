"""Every DAG file imports cleanly, has tags and retries >= 2, and parsing touches no connection,
variable or network."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture
def dagbag(monkeypatch):
    from airflow.sdk import BaseHook, Variable

    def forbidden(*args, **kwargs):
        raise AssertionError("a DAG file touched a connection, variable or the network while parsing")

    monkeypatch.setattr(BaseHook, "get_connection", forbidden)
    monkeypatch.setattr(Variable, "get", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR), safe_mode=True)  # as the DAG processor discovers files


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "openai_costs_daily" in dagbag.dags
    assert "anthropic_costs_daily" in dagbag.dags
    assert "finops_focus_export" in dagbag.dags
    assert "finops_spend_alerts" in dagbag.dags


def test_tags_owner_retries_and_docs(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md, f"{dag_id} has no doc_md"
        for task in dag.tasks:
            assert task.retries >= 2, f"{dag_id}.{task.task_id} retries {task.retries} < 2"
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id} has no explicit owner"


@pytest.mark.parametrize("dag_file", ["openai_costs_daily.py", "anthropic_costs_daily.py", "finops_focus_export.py",
                                      "finops_spend_alerts.py", "finops_collection_deadline.py"])
def test_parsing_imports_nothing_heavy(dag_file):
    """GX, pandas, pyarrow, duckdb and boto3 stay out of the DAG file's top level (in a clean interpreter)."""
    import subprocess
    import sys

    code = (
        f"import sys, runpy; runpy.run_path({str(DAGS_DIR / dag_file)!r}); "
        "print(','.join(m for m in ('great_expectations','pandas','boto3','psycopg','pyarrow','duckdb','s3fs') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1:] in ([], [""]), out.stdout


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_collection_runs_per_team_in_the_api_pool(dagbag, provider):
    dag = dagbag.dags[f"{provider}_costs_daily"]
    collect = dag.get_task("collect_team")
    assert collect.pool == f"{provider}_api"
    assert provider in dag.tags
    assert collect.map_index_template == "{{ team_label }}"
    for task_id in ("check_data_quality", "check_success_rate"):
        assert dag.get_task(task_id).trigger_rule == "all_done"
    assert set(dag.params.keys()) == {"team_ids", "lookback_days", "start_date", "end_date", "allow_drops"}
    assert dag.params["allow_drops"] is False  # the drop guard is on unless a manual run lifts it
    assert dag.on_failure_callback


def test_focus_export_runs_on_the_cost_data_asset_one_month_per_instance(dagbag):
    from finops.assets import COST_DATA

    dag = dagbag.dags["finops_focus_export"]
    assert [a.name for a in dag.timetable.asset_condition.objects] == [COST_DATA.name]
    assert dag.max_active_runs == 1
    export = dag.get_task("export_month")
    assert export.map_index_template == "{{ export_label }}"
    assert [t.task_id for t in export.upstream_list] == ["plan_exports"]
    assert set(dag.params.keys()) == {"months", "provider", "format", "dest"}


def test_spend_alerts_run_on_the_cost_data_asset_plan_evaluate_deliver(dagbag):
    from finops.assets import COST_DATA

    dag = dagbag.dags["finops_spend_alerts"]
    assert [a.name for a in dag.timetable.asset_condition.objects] == [COST_DATA.name]
    assert dag.max_active_runs == 1
    assert [t.task_id for t in dag.get_task("evaluate_alerts").upstream_list] == ["plan_scope"]
    assert [t.task_id for t in dag.get_task("deliver_alerts").upstream_list] == ["evaluate_alerts"]


def test_both_collection_dags_come_from_one_factory_with_the_same_shape(dagbag):
    """Same tasks, dependencies, params and trigger rules; only the provider (pool, tags, notifier) differs."""
    openai, anthropic = dagbag.dags["openai_costs_daily"], dagbag.dags["anthropic_costs_daily"]

    def shape(dag):
        return {t.task_id: (sorted(t.upstream_task_ids), t.trigger_rule, t.retries) for t in dag.tasks}

    assert shape(openai) == shape(anthropic)
    def params(dag):
        return {k: (dag.params.get_param(k).value, dag.params.get_param(k).schema) for k in dag.params}

    assert params(openai) == params(anthropic)
    def notifier(dag):
        callbacks = dag.on_failure_callback
        return (callbacks[0] if isinstance(callbacks, list) else callbacks).provider

    assert (notifier(openai), notifier(anthropic)) == ("openai", "anthropic")
    assert [o.name for o in anthropic.get_task("publish_costs").outlets] == ["finops.cost_data"]
    for path in ("openai_costs_daily.py", "anthropic_costs_daily.py"):
        assert len((DAGS_DIR / path).read_text().splitlines()) < 60, f"{path} is no longer a table of contents"

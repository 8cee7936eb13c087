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


HEAVY = ("great_expectations", "pandas", "boto3", "psycopg", "pyarrow", "duckdb", "s3fs")

#: One clean interpreter imports the Task SDK (every DAG file's first import), then forks a child per DAG
#: file, which runs the file and prints the heavy modules it pulled in: a fresh interpreter each, without
#: paying Airflow's import once per file.
PARSE_EACH = """
import json, os, runpy, sys
import airflow.sdk  # noqa: F401
heavy = {heavy!r}
found = {{"<airflow.sdk>": [m for m in heavy if m in sys.modules]}}
for path in {paths!r}:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        runpy.run_path(path)
        os.write(write, json.dumps([m for m in heavy if m in sys.modules]).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        out = pipe.read()
    _, status = os.waitpid(pid, 0)
    found[os.path.basename(path)] = json.loads(out) if status == 0 else f"exit status {{status}}"
print(json.dumps(found))
"""


def test_parsing_imports_nothing_heavy():
    """GX, pandas, pyarrow, duckdb and boto3 stay out of every DAG file's top level (in a clean interpreter)."""
    import json
    import subprocess
    import sys

    paths = sorted(str(p) for p in DAGS_DIR.glob("*.py"))
    assert len(paths) >= 5
    code = PARSE_EACH.format(heavy=HEAVY, paths=paths)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(found) == {"<airflow.sdk>", *(Path(p).name for p in paths)}
    assert found == dict.fromkeys(found, []), found


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_collection_runs_per_team_in_the_api_pool(dagbag, provider):
    dag = dagbag.dags[f"{provider}_costs_daily"]
    collect = dag.get_task("collect_team")
    assert collect.pool == f"{provider}_api"
    assert provider in dag.tags
    assert collect.map_index_template == "{{ team_label }}"
    for task_id in ("check_data_quality", "check_success_rate"):
        assert dag.get_task(task_id).trigger_rule == "all_done"
    # The watcher waits for every gate (the rate gate runs after the quality gate): `one_failed` would
    # start it at the first failure and its alert would miss the second.
    watcher = dag.get_task("watch_gates")
    assert watcher.trigger_rule == "all_done"
    assert watcher.upstream_task_ids == {"check_data_quality", "check_success_rate"}
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

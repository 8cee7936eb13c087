"""A Clear of a *running* batched ``collect_team`` is never taken for a retry: Airflow 3.3's own clear code.

A real run (``airflow dags test``, four teams in one ``collect_team`` instance) leaves its task
instances in Airflow's metadata database; the test puts the batch back in ``running`` (the moment a
user clears it) and calls Airflow's ``clear_task_instances``, as the UI, the REST API and ``airflow
tasks clear`` do. Airflow marks it ``restarting`` and leaves ``max_tries`` alone, so the next try
looks like an automatic retry by ``try_number``/``max_tries``; the run's ``clear_number`` went up,
and with it ``run_facts`` says: not a retry, collect every team.
"""

from __future__ import annotations

from types import SimpleNamespace

from test_dag_e2e import DAY, dags_test, teams  # noqa: F401 - the fixture

from finops.tasks import run_facts


def _context(try_number: int, max_tries: int, retries: int, clear_number: int | None) -> dict:
    dag_run = SimpleNamespace(run_after=None)
    if clear_number is not None:
        dag_run.clear_number = clear_number
    return {"ti": SimpleNamespace(try_number=try_number, max_tries=max_tries, task=SimpleNamespace(retries=retries)),
            "dag_run": dag_run, "data_interval_end": None, "params": {}}


def test_the_task_context_carries_the_runs_clear_number():
    """The Task SDK's DagRun (the task's ``context["dag_run"]``) has the field the rule reads."""
    from airflow.sdk.api.datamodels._generated import DagRun

    assert "clear_number" in DagRun.model_fields


def test_a_clear_of_a_running_batch_raises_clear_number_not_max_tries_and_is_not_a_retry(teams, db):  # noqa: F811
    from airflow import settings
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance, clear_task_instances
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    result = dags_test(DAY, env={"AIRFLOW_VAR_FINOPS_TEAMS_PER_TASK": "4"})  # the four teams in one instance
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-3000:]
    run_id = db.execute("SELECT dag_run_id FROM finops.success_rates ORDER BY computed_at DESC LIMIT 1").fetchone()[0]

    session = settings.Session()
    try:
        ti = session.scalars(select(TaskInstance).where(
            TaskInstance.dag_id == "openai_costs_daily", TaskInstance.run_id == run_id,
            TaskInstance.task_id == "collect_team", TaskInstance.map_index == 0)).one()
        dag_run = session.scalars(select(DagRun).where(DagRun.run_id == run_id)).one()
        ti.state = TaskInstanceState.RUNNING  # the batch is running when the user clears it
        session.flush()
        try_number, max_tries, clears = ti.try_number, ti.max_tries, dag_run.clear_number
        retries = 3  # collect_team's retries (pipeline_dag.py); max_tries of a first try equals it
        assert (try_number, max_tries, clears) == (1, retries, 0)

        clear_task_instances([ti], session)
        session.flush()
        session.refresh(dag_run)
        assert ti.state == TaskInstanceState.RESTARTING
        assert ti.max_tries == max_tries, "Airflow 3.3 leaves max_tries alone on a Clear of a running task"
        assert dag_run.clear_number == clears + 1

        # When the killed try is failed (an executor's failure event, a missed heartbeat), Airflow runs
        # try 2 with these very numbers, as it would an automatic retry.
        after_clear = _context(try_number + 1, ti.max_tries, retries, dag_run.clear_number)
        assert run_facts(after_clear).retry is False  # every team is collected again
        # The rule before this fix (try_number and max_tries only) took it for a retry and skipped teams:
        assert run_facts(_context(try_number + 1, ti.max_tries, retries, None)).retry is True
        # An automatic retry of a run never cleared is still one.
        assert run_facts(_context(try_number + 1, max_tries, retries, 0)).retry is True
    finally:
        session.rollback()
        session.close()

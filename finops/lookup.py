"""Airflow connections and variables, looked up the same way from tasks, the CLI and the web view.

Inside a task the Task SDK resolves them (env vars, secrets backends, the API server). Outside
one (the ``finops`` CLI, tests) the SDK only sees env vars and external backends, so the metadata
database is asked as well, as Airflow's own CLI does.
"""

from __future__ import annotations

from typing import Any

from finops.errors import ConfigurationError

_UNSET = object()


def get_connection(conn_id: str):
    from airflow.exceptions import AirflowNotFoundException
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        pass
    if not _in_task():
        from airflow.models import Connection

        try:
            return Connection.get_connection_from_secrets(conn_id)
        except AirflowNotFoundException:
            pass
        except Exception:  # metadata database not configured or unreachable: same verdict
            pass
    raise ConfigurationError(
        f"The Airflow connection `{conn_id}` is not defined; run `finops settings import` or set "
        f"AIRFLOW_CONN_{conn_id.upper()}."
    )


def get_variable(name: str, default: Any = _UNSET) -> Any:
    from airflow.sdk import Variable

    sentinel = object()
    value = Variable.get(name, default=sentinel)
    if value is sentinel and not _in_task():
        try:
            from airflow.models import Variable as ModelVariable

            value = ModelVariable.get(name, default_var=sentinel)
        except Exception:
            value = sentinel
    if value is sentinel:
        if default is _UNSET:
            raise ConfigurationError(
                f"The Airflow variable `{name}` is not set; run `finops settings import` or set AIRFLOW_VAR_{name.upper()}."
            )
        return default
    return value


def _in_task() -> bool:
    try:
        from airflow.sdk.execution_time import task_runner
    except ImportError:
        return False
    return getattr(task_runner, "SUPERVISOR_COMMS", None) is not None

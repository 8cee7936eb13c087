"""Airflow connections and variables, looked up the same way from tasks, the CLI and the web view.

Inside a task the Task SDK resolves them (env vars, secrets backends, the API server). Outside
one (the ``finops`` CLI, tests) the SDK only sees env vars and external backends, so the metadata
database is asked as well, as Airflow's own CLI does.
"""

from __future__ import annotations

import configparser
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from finops.errors import ConfigurationError

_UNSET = object()
#: What Airflow's environment-variables secrets backend reads (``AIRFLOW_CONN_<ID>``, ``AIRFLOW_VAR_<KEY>``).
CONN_ENV_PREFIX = "AIRFLOW_CONN_"
VAR_ENV_PREFIX = "AIRFLOW_VAR_"
#: Settings naming a custom secrets backend, which Airflow asks before the environment variables.
_BACKEND_OPTIONS = (("secrets", "backend"), ("workers", "secrets_backend"))
#: Fields of an Airflow connection in its JSON form (anything else is left to Airflow to judge).
_CONNECTION_FIELDS = {"conn_type", "description", "host", "login", "password", "schema", "port", "extra"}


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
    """A variable as Airflow resolves it; ``AIRFLOW_VAR_<KEY>`` without importing Airflow when that is its answer."""
    value = environment_variable(name)
    if value is not None:
        return value
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


@dataclass(frozen=True)
class EnvConnection:
    """An Airflow connection read from its ``AIRFLOW_CONN_<ID>`` variable without importing Airflow."""

    conn_id: str
    conn_type: str | None = None
    description: str | None = None
    host: str | None = None
    login: str | None = None
    password: str | None = None
    schema: str | None = None
    port: int | None = None
    extra: str | None = None

    @property
    def extra_dejson(self) -> dict:
        try:
            return json.loads(self.extra) if self.extra else {}
        except ValueError:  # Airflow logs it and answers {} as well
            return {}

    def __repr__(self) -> str:  # never the password
        return f"EnvConnection(conn_id={self.conn_id!r}, conn_type={self.conn_type!r}, host={self.host!r})"


def environment_connection(conn_id: str) -> EnvConnection | None:
    """The connection from ``AIRFLOW_CONN_<ID>`` when that is what Airflow itself would return, else None.

    Airflow asks a configured custom secrets backend first, then the environment variable, then the
    metastore. So the short cut applies only when Airflow is not loaded yet (a loaded Airflow answers as
    cheaply, and inside a task the Task SDK decides), no custom backend is configured, and the variable
    parses as Airflow parses it (JSON or URI). Otherwise None: the caller asks Airflow
    (:func:`get_connection`). This saves the ``finops`` CLI Airflow's start-up (seconds).
    """
    value = _environment_value(CONN_ENV_PREFIX, conn_id)
    if value is None:
        return None
    try:
        return _connection_from_json(conn_id, value) if value.startswith("{") else _connection_from_uri(conn_id,
                                                                                                         value)
    except Exception:  # Airflow's own lookup gives its own error for a malformed value
        return None


def environment_variable(name: str) -> str | None:
    """A variable from ``AIRFLOW_VAR_<KEY>`` on the same terms as :func:`environment_connection`, else None."""
    return _environment_value(VAR_ENV_PREFIX, name, strip=False)


def _environment_value(prefix: str, name: str, strip: bool = True) -> str | None:
    if "airflow" in sys.modules or "___" in name:  # loaded Airflow, or a multi-team name: Airflow decides
        return None
    value = os.environ.get(prefix + name.upper())
    if not value or _custom_secrets_backend():
        return None
    return value.strip() if strip else value


def _custom_secrets_backend() -> bool:
    """A custom secrets backend may be configured (environment or airflow.cfg); unreadable config counts as yes."""
    for section, key in _BACKEND_OPTIONS:
        for suffix in ("", "_CMD", "_SECRET"):
            if os.environ.get(f"AIRFLOW__{section.upper()}__{key.upper()}{suffix}"):
                return True
    home = Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow").expanduser()
    path = Path(os.environ.get("AIRFLOW_CONFIG") or home / "airflow.cfg").expanduser()
    if not path.exists():
        return False
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return True
    return any(parser.get(section, key + suffix, fallback="").strip()
               for section, key in _BACKEND_OPTIONS for suffix in ("", "_cmd", "_secret"))


def _normalize_conn_type(conn_type: str) -> str:
    """As Airflow's ``Connection._normalize_conn_type``."""
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_")


def _connection_from_json(conn_id: str, value: str) -> EnvConnection:
    """As Airflow's ``Connection.from_json``."""
    kwargs = json.loads(value)
    if not isinstance(kwargs, dict) or set(kwargs) - _CONNECTION_FIELDS:
        raise ValueError("not a connection")
    extra = kwargs.pop("extra", None)
    if extra:
        kwargs["extra"] = extra if isinstance(extra, str) else json.dumps(extra)
    conn_type = kwargs.pop("conn_type", None)
    if conn_type:
        kwargs["conn_type"] = _normalize_conn_type(conn_type)
    port = kwargs.pop("port", None)
    if port:
        kwargs["port"] = int(port)
    return EnvConnection(conn_id=conn_id, **kwargs)


def _connection_from_uri(conn_id: str, uri: str) -> EnvConnection:
    """As Airflow's ``Connection.from_uri`` (a host with its own protocol included)."""
    schemes = uri.count("://")
    if schemes > 2:
        raise ValueError("invalid connection string")
    host_with_protocol = schemes == 2
    conn_type = urlsplit(uri).scheme
    rest = uri.replace(f"{conn_type}://", "" if host_with_protocol else "//")
    if host_with_protocol:
        first = rest.split("://", 1)[0]
        if "@" in first or ":" in first:
            raise ValueError("invalid connection string")
    parts = urlsplit(rest)
    protocol = parts.scheme if host_with_protocol else None
    host = unquote(parts.hostname or "")
    if "/" in host:
        host = parts.netloc
        if "@" in host:
            host = host.rsplit("@", 1)[1]
        if ":" in host:
            host = host.split(":", 1)[0]
        host = unquote(host)
    if host and protocol:
        host = f"{protocol}://{host}"
    schema = unquote(parts.path[1:]) if parts.path[1:] else parts.path[1:]
    extra = None
    if parts.query:
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        extra = query["__extra__"] if "__extra__" in query else json.dumps(query)
    return EnvConnection(conn_id=conn_id, conn_type=_normalize_conn_type(conn_type), host=host, schema=schema,
                         login=unquote(parts.username) if parts.username else parts.username,
                         password=unquote(parts.password) if parts.password else parts.password,
                         port=parts.port, extra=extra)

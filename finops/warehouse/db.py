"""Connections to the warehouse, resolved from the Airflow connection ``finops_db``."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from finops.errors import FinopsError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import psycopg

FINOPS_DB_CONN_ID = "finops_db"
SCHEMA = "finops"
#: Every session works in UTC: timestamps are shown and dates derived as UTC whatever the server's zone.
SESSION_OPTIONS = "-c timezone=UTC"


class WarehouseUnavailable(FinopsError):
    """PostgreSQL could not be reached or dropped the connection."""

    retryable = True


def connection_params(conn_id: str = FINOPS_DB_CONN_ID) -> dict[str, Any]:
    """psycopg keyword arguments for an Airflow connection (env var, secrets backend or metastore).

    ``AIRFLOW_CONN_<ID>`` is read without importing Airflow when that is Airflow's own answer
    (:func:`finops.lookup.environment_connection`): the CLI then starts in a fraction of a second.
    """
    from finops.lookup import environment_connection, get_connection

    conn = environment_connection(conn_id) or get_connection(conn_id)
    params: dict[str, Any] = {
        "host": conn.host or "127.0.0.1",
        "port": conn.port or 5432,
        "dbname": conn.schema or "finops",
        "user": conn.login,
        "password": conn.password,
        "application_name": "finops",
        "connect_timeout": 10,
    }
    extra = conn.extra_dejson or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "options", "connect_timeout"):
        if key in extra:
            params[key] = extra[key]
    # After the connection's own options, so UTC wins over a timezone set there.
    params["options"] = f"{params['options']} {SESSION_OPTIONS}" if params.get("options") else SESSION_OPTIONS
    return {k: v for k, v in params.items() if v is not None}


def sqlalchemy_url(conn_id: str = FINOPS_DB_CONN_ID) -> str:
    """The same connection as a SQLAlchemy URL (Alembic, Great Expectations), UTC session included."""
    p = connection_params(conn_id)
    auth = quote(p.get("user", ""), safe="")
    if p.get("password"):
        auth += ":" + quote(p["password"], safe="")
    query = urlencode({k: p[k] for k in ("sslmode", "options") if k in p}, quote_via=quote)
    return f"postgresql+psycopg://{auth}@{p['host']}:{p['port']}/{p['dbname']}?{query}"


@contextmanager
def connect(conn_id: str = FINOPS_DB_CONN_ID, **overrides: Any) -> Iterator[psycopg.Connection]:
    """A psycopg 3 connection; commits on success, rolls back on error, always closes."""
    import psycopg

    params = {**connection_params(conn_id), **overrides}
    try:
        conn = psycopg.connect(**params)
    except psycopg.OperationalError as exc:
        raise WarehouseUnavailable(
            f"The warehouse database at {params['host']}:{params['port']}/{params['dbname']} cannot be reached "
            f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}); check that it "
            f"runs and that the `{conn_id}` connection is right."
        ) from None
    try:
        with conn:
            yield conn
    finally:
        conn.close()

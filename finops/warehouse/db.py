"""Connections to the warehouse, resolved from the Airflow connection ``finops_db``."""

from __future__ import annotations

import select
import threading
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


def _open(conn_id: str, **overrides: Any) -> psycopg.Connection:
    return open_connection({**connection_params(conn_id), **overrides}, conn_id)


def open_connection(params: dict[str, Any], conn_id: str = FINOPS_DB_CONN_ID) -> psycopg.Connection:
    """A psycopg 3 connection from :func:`connection_params` resolved already (several connections, one lookup)."""
    import psycopg

    try:
        return psycopg.connect(**params)
    except psycopg.OperationalError as exc:
        raise WarehouseUnavailable(
            f"The warehouse database at {params['host']}:{params['port']}/{params['dbname']} cannot be reached "
            f"({str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}); check that it "
            f"runs and that the `{conn_id}` connection is right."
        ) from None


@contextmanager
def connect(conn_id: str = FINOPS_DB_CONN_ID, **overrides: Any) -> Iterator[psycopg.Connection]:
    """A psycopg 3 connection; commits on success, rolls back on error, always closes."""
    conn = _open(conn_id, **overrides)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def _gone(conn: psycopg.Connection) -> bool:
    """An idle connection the server has closed (or is closing): it says so on the socket, so no round trip."""
    if conn.closed or conn.broken:
        return True
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    return bool(readable)  # an idle session is sent nothing but its termination (we LISTEN to nothing)


class KeptConnections:
    """Warehouse connections kept open across the loads of one task: one per thread, replaced once broken.

    A fresh connection per load pays a backend start and, for every statement, catalog lookups and planning;
    a kept one does that once, and psycopg prepares the statements it runs repeatedly (docs/performance.md,
    section 11). Each :meth:`transaction` commits on success and rolls back on error, so a failed load leaves
    the connection clean for the thread's next team; a connection that broke is closed and the next
    transaction opens another.
    """

    def __init__(self, conn_id: str = FINOPS_DB_CONN_ID) -> None:
        self.conn_id = conn_id
        self._local = threading.local()
        self._opened: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """The calling thread's connection, in a transaction: committed on success, rolled back on error."""
        conn = getattr(self._local, "conn", None)
        if conn is None or _gone(conn):
            if conn is not None:
                conn.close()
            conn = self._local.conn = _open(self.conn_id)
            with self._lock:
                self._opened.append(conn)
        try:
            yield conn
            conn.commit()
        except BaseException:
            try:
                conn.rollback()
            except Exception:  # noqa: BLE001 - broken: the thread's next transaction opens another connection
                conn.close()
            raise

    def close(self) -> None:
        """Close every connection opened (at the end of the task)."""
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()

    def __enter__(self) -> KeptConnections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

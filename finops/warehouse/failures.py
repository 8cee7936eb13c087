"""Database failures during a load, as one sentence a user can act on (the driver's own text stays in the task log).

A load that fails this way changed nothing: its transaction is rolled back, the previous rows stay.
"""

from __future__ import annotations

from finops.errors import FinopsError
from finops.warehouse.db import FINOPS_DB_CONN_ID, WarehouseUnavailable


class WarehouseRefusesWrites(FinopsError):
    """The warehouse accepted the connection but refused to write: a read-only server or session, a full disk."""

    retryable = True


class WarehouseNotPermitted(FinopsError):
    """The connection's role may not write a table the load needs: an administrator must grant it."""

    retryable = False


#: SQLSTATEs of a server going away: admin_shutdown, crash_shutdown, cannot_connect_now.
LOST_STATES = ("57P01", "57P02", "57P03")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def explain(exc: BaseException, conn_id: str = FINOPS_DB_CONN_ID) -> FinopsError | None:
    """The user's sentence for a PostgreSQL failure of a load, or ``None`` when ``exc`` is not one we know."""
    import psycopg
    from psycopg import errors

    unchanged = "nothing of this window was changed"
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return WarehouseRefusesWrites(
            f"The warehouse refuses writes (a read-only transaction: {_first_line(exc)}); {unchanged}: point the "
            f"`{conn_id}` connection at the primary server, or turn default_transaction_read_only off for its "
            "role; the task will retry."
        )
    if isinstance(exc, errors.DiskFull):
        return WarehouseRefusesWrites(
            f"The warehouse's disk is full ({_first_line(exc)}); {unchanged}: free space on the database server; "
            "the task will retry."
        )
    if isinstance(exc, errors.InsufficientPrivilege):
        return WarehouseNotPermitted(
            f"The `{conn_id}` connection's role may not write the warehouse ({_first_line(exc)}); {unchanged}: "
            "connect as the role that owns schema finops (the one `finops db upgrade` ran as) or grant this one "
            "SELECT, INSERT, UPDATE, DELETE on the schema's tables, then run the DAG again."
        )
    # A server shut down or restarted (57P01-57P03), a connection exception (class 08), or the driver losing
    # the connection (no SQLSTATE); a statement timeout or a lock timeout is not one of them.
    state = getattr(exc, "sqlstate", None) or ""
    if isinstance(exc, psycopg.OperationalError) and (not state or state[:2] == "08" or state in LOST_STATES):
        return WarehouseUnavailable(
            f"The warehouse connection was lost during the load ({_first_line(exc)}); {unchanged}, and the task "
            f"will retry; if it persists, check that the database runs and that the `{conn_id}` connection is right."
        )
    return None

"""A page's reads side by side, each on its own connection, all in one snapshot of the warehouse.

The overview's panels are independent reads of 100-200 ms each at 1,000 teams x 365 days (the usage panels, the top
keys and owners, docs/performance.md section 7): one after the other on one connection they add up, while on two
connections PostgreSQL runs them on two cores. :func:`snapshot_reads` opens the page's connection in a REPEATABLE
READ, READ ONLY transaction and exports its snapshot (``pg_export_snapshot``); each read handed to
:meth:`SnapshotReads.submit` runs in a worker thread on a connection of its own that imports that snapshot (``SET
TRANSACTION SNAPSHOT``) before its first query. Every panel therefore sees exactly the same committed loads, as one
transaction would: a load that commits while the page is read is in none of them. (One connection in READ
COMMITTED, as the page used before, gave each statement its own snapshot.)
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from finops.warehouse.db import FINOPS_DB_CONN_ID, connection_params, open_connection

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import psycopg

T = TypeVar("T")

#: Side connections a page may use at once (the machine this was measured on has 2 cores: one read on the page's
#: connection, one beside it).
SIDE_READS = 1


@dataclass
class SnapshotReads:
    """The page's connection (``conn``) and the side reads submitted in its snapshot."""

    conn: psycopg.Connection
    snapshot: str
    params: dict[str, Any]
    conn_id: str
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(SIDE_READS, "finops-read"))

    def submit(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """``read(conn, *args, **kwargs)`` on a side connection in this snapshot; its result (or its exception)
        comes from the future's ``result()``."""
        return self._pool.submit(self._run, read, args, kwargs)

    def _run(self, read: Callable[..., T], args: tuple, kwargs: dict[str, Any]) -> T:
        import psycopg
        from psycopg import sql

        side = open_connection(self.params, self.conn_id)
        try:
            side.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            side.read_only = True
            with side.transaction():
                # No parameters in SET: the id goes in as a quoted literal.
                side.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(self.snapshot)))
                return read(side, *args, **kwargs)
        finally:
            side.close()


@contextmanager
def snapshot_reads(conn_id: str = FINOPS_DB_CONN_ID) -> Iterator[SnapshotReads]:
    """The page's connection in a REPEATABLE READ, READ ONLY transaction with its snapshot exported; the side reads
    submitted meanwhile are waited for before the transaction ends (the snapshot lives as long as it)."""
    import psycopg

    params = connection_params(conn_id)
    conn = open_connection(params, conn_id)
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            reads = SnapshotReads(conn, snapshot, params, conn_id)
            try:
                yield reads
            finally:
                reads._pool.shutdown(wait=True, cancel_futures=True)
    finally:
        conn.close()

"""PostgreSQL failures of a load become one sentence saying what to do (finops.warehouse.failures)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from finops.errors import FinopsError
from finops.warehouse.db import WarehouseUnavailable
from finops.warehouse.failures import WarehouseNotPermitted, WarehouseRefusesWrites, explain


@pytest.mark.parametrize("exc,kind,retryable,says", [
    (errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"), WarehouseRefusesWrites,
     True, "point the `finops_db` connection at the primary server"),
    (errors.DiskFull("could not extend file base/16384/2619: No space left on device"), WarehouseRefusesWrites,
     True, "free space on the database server"),
    (errors.InsufficientPrivilege("permission denied for table cost_data"), WarehouseNotPermitted, False,
     "connect as the role that owns schema finops"),
    (errors.AdminShutdown("terminating connection due to administrator command"), WarehouseUnavailable, True,
     "the task will retry"),
    (psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"),
     WarehouseUnavailable, True, "connection was lost during the load"),
])
def test_a_known_failure_is_one_sentence_with_what_to_do(exc, kind, retryable, says):
    explained = explain(exc)
    assert isinstance(explained, kind) and isinstance(explained, FinopsError)
    assert explained.retryable is retryable
    message = str(explained)
    assert says in message and "nothing of this window was changed" in message
    assert str(exc).splitlines()[0] in message and "\n" not in message


@pytest.mark.parametrize("exc", [
    errors.QueryCanceled("canceling statement due to statement timeout"),  # not a lost connection
    errors.LockNotAvailable("could not obtain lock on relation"),
    errors.UniqueViolation("duplicate key value violates unique constraint"),
    ValueError("not a database error"),
])
def test_other_failures_are_left_as_they_are(exc):
    assert explain(exc) is None


def test_the_connection_named_is_the_one_used():
    assert "`other_db`" in str(explain(errors.ReadOnlySqlTransaction("x"), "other_db"))

"""The fast part of the fault matrix (``make chaos`` runs it all): no row lost or duplicated, exact totals.

Each fault runs against the real warehouse, moto's KMS over HTTP and the simulator behind a
fault-injecting proxy; the outcome must be the one the matrix documents (docs/reliability.md).
"""

from __future__ import annotations

import pytest
from simulator_fixtures import HEALTHY

from finops.chaos import matrix

EXPECTED = {
    "connection_reset": "completed",
    "truncated_body": "completed",
    "read_timeout": "completed",
    "server_error_storm": "failed (retryable, CostsApiUnavailable)",
    "looping_cursor": "failed (permanent, PaginationError)",
    "buckets_outside_window": "completed",
    "kms_unreachable": "failed (retryable, KmsUnavailable)",
    "warehouse_read_only": "failed (retryable, WarehouseRefusesWrites): The warehouse refuses writes",
    "concurrent_runs": "manual__chaos: completed",
}


@pytest.fixture
def chaos_env(db, warehouse, kms_endpoint, simulator):
    return matrix.ChaosEnv(simulator_url=simulator.base_url, simulator_config=simulator.config, org_id=HEALTHY,
                           api_key=simulator.key(HEALTHY), pg_url=warehouse, kms_endpoint=kms_endpoint)


@pytest.mark.parametrize("case", matrix.FAST, ids=lambda c: c.__name__)
def test_fault_loses_and_duplicates_nothing(chaos_env, case):
    row = case(chaos_env)
    assert row.outcome.startswith(EXPECTED[case.__name__]), row.outcome
    if row.outcome.startswith("failed (retryable") or row.outcome.startswith("failed (unexpected"):
        assert "-> task retry: completed" in row.outcome, row.outcome
    if case.__name__ == "truncated_body":  # the cut page was fetched again by the client, not the task
        assert "1 retries" in row.outcome and "task retry" not in row.outcome, row.outcome
    assert (row.rows_lost, row.rows_duplicated, row.totals_equal) == (0, 0, True), row


def test_every_fault_of_the_issue_is_in_the_matrix():
    names = [c.__name__ for c in matrix.FAST + matrix.SLOW] + matrix.SCHEDULER_FAULTS
    assert len(names) == 13 and len(set(names)) == 13

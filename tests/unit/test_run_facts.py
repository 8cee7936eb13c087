"""What the collection and quality tasks read from their Airflow context: reference date, allow_drops, retries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from finops import collection
from finops.errors import ConfigurationError
from finops.tasks import RunFacts, run_facts


def context(try_number=1, max_tries=3, retries=3, interval_end=None, run_after=None, params=None, clear_number=0):
    return {
        "ti": SimpleNamespace(try_number=try_number, max_tries=max_tries, task=SimpleNamespace(retries=retries)),
        "dag_run": SimpleNamespace(run_after=run_after or datetime(2026, 3, 12, 7, 30, tzinfo=UTC),
                                   clear_number=clear_number),
        "data_interval_end": interval_end,
        "params": params or {},
    }


@pytest.mark.parametrize(("try_number", "max_tries", "clear_number", "retry"), [
    (1, 3, 0, False),  # the first try of a new run
    (2, 3, 0, True),   # Airflow's automatic retries, in a run never cleared
    (4, 3, 0, True),
    (2, 4, 1, False),  # try 1 succeeded, then the task was cleared: max_tries = 1 + 3
    (5, 7, 1, False),  # all 4 tries failed, then cleared: max_tries = 4 + 3, the next try is 5
    # A Clear of a *running* try 1: Airflow marks it restarting without raising max_tries; when the killed
    # try is then failed (executor event, missed heartbeat) try 2 follows as a retry would. Only the run's
    # clear_number tells them apart.
    (2, 3, 1, False),
    (3, 3, 2, False),  # cleared twice while running
    (6, 7, 1, False),  # a retry after a Clear: indistinguishable from a Clear of a running try; all teams again
])
def test_a_retry_is_a_later_try_in_a_run_never_cleared(try_number, max_tries, clear_number, retry):
    assert run_facts(context(try_number, max_tries, clear_number=clear_number)).retry is retry


def test_without_a_clear_number_the_max_tries_rule_still_holds():
    """A context without ``clear_number`` (older Task SDKs): the try sequence from max_tries, as before."""
    ctx = context(2, 3)
    del ctx["dag_run"].clear_number
    assert run_facts(ctx).retry is True
    ctx = context(5, 7)
    del ctx["dag_run"].clear_number
    assert run_facts(ctx).retry is False


def test_the_reference_date_is_the_data_interval_end_else_run_after_never_the_clock():
    end = datetime(2026, 3, 10, tzinfo=UTC)
    assert run_facts(context(interval_end=end)).reference_date == date(2026, 3, 10)
    assert run_facts(context()).reference_date == date(2026, 3, 12)  # a manual run without a logical date


def test_allow_drops_comes_from_the_params():
    assert run_facts(context(params={"allow_drops": True})).allow_drops is True
    assert run_facts(context(params={"allow_drops": "true"})).allow_drops is True
    assert run_facts(context(params={"allow_drops": False})).allow_drops is False
    assert run_facts(context()).allow_drops is False
    assert RunFacts() == RunFacts(reference_date=None, allow_drops=False, retry=False)


def test_settled_days_and_the_drop_threshold():
    assert collection.settled_before(date(2026, 3, 10), 2) == date(2026, 3, 8)
    assert collection.max_settled_drop(None) == Decimal("0.5")
    assert collection.max_settled_drop("0.25") == Decimal("0.25")
    assert collection.max_settled_drop("80%") == Decimal("0.8")
    for bad in ("half", "1.5", "-0.1", "NaN"):
        with pytest.raises(ConfigurationError, match="finops_max_settled_drop"):
            collection.max_settled_drop(bad)

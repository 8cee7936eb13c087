"""finops.timings: per-step seconds exclusive of nested steps, counts, nothing recorded outside a record."""

import time

import pytest

from finops import timings


def test_a_step_excludes_the_steps_nested_in_it_and_counts_add_up():
    with timings.recording() as record:
        with timings.step("spool"):
            time.sleep(0.02)
            with timings.step("fetch"):
                time.sleep(0.05)
        timings.count("requests:costs")
        timings.count("requests:costs")
    assert 0.015 <= record.seconds["spool"] < 0.05
    assert record.seconds["fetch"] >= 0.05
    assert record.counts == {"requests:costs": 2}
    assert set(record.as_dict()) == {"seconds", "counts"}


def test_outside_a_record_nothing_is_kept():
    with timings.step("fetch"):
        pass
    timings.count("requests:usage")
    assert timings.current() is None
    assert timings.timed_load(None, "load_usage") is None


def test_merge_sums_records():
    total = timings.merge({}, {"seconds": {"fetch": 1.0}, "counts": {"requests:keys": 2}})
    timings.merge(total, {"seconds": {"fetch": 0.5, "load": 1.0}, "counts": {"requests:keys": 1}})
    assert total == {"seconds": {"fetch": 1.5, "load": 1.0}, "counts": {"requests:keys": 3}}


def test_the_requests_in_flight_variable_is_a_small_whole_number_or_one_sentence():
    from finops.errors import ConfigurationError
    from finops.tasks import _requests_in_flight

    assert _requests_in_flight(1) == 1 and _requests_in_flight(" 4 ") == 4 and _requests_in_flight("8") == 8
    for bad in ("0", "9", "four", "", None):
        with pytest.raises(ConfigurationError, match="finops_team_requests_in_flight"):
            _requests_in_flight(bad)

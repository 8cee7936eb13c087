"""How teams are spread over collect_team instances: the variable, or `auto` (no services)."""

from __future__ import annotations

import pytest

from finops import collection
from finops.errors import ConfigurationError


@pytest.mark.parametrize("teams,setting,size", [
    (1, "auto", 1), (20, "auto", 1), (21, "auto", 2), (1000, None, 50), (1000, "", 50), (1000, "AUTO", 50),
    (0, "auto", 1), (1000, "1", 1), (10, 50, 50), (10, " 4 ", 4),
])
def test_teams_per_task_is_the_variable_or_auto(teams, setting, size):
    assert collection.teams_per_task(teams, setting) == size


@pytest.mark.parametrize("teams", [1, 19, 20, 21, 100, 999, 1000, 5001])
def test_auto_keeps_one_team_per_instance_up_to_the_cap_and_the_cap_beyond(teams):
    instances = collection.batches([f"t{i}" for i in range(teams)], collection.teams_per_task(teams))
    if teams <= collection.AUTO_MAX_TASKS:
        assert len(instances) == teams
    else:
        assert len(instances) <= collection.AUTO_MAX_TASKS  # the smallest size that stays within the cap:
        assert len(collection.batches(list(range(teams)), len(instances[0]) - 1)) > collection.AUTO_MAX_TASKS
    assert sum(map(len, instances)) == teams


@pytest.mark.parametrize("setting", ["0", "-3", "fifty", "2.5"])
def test_a_bad_teams_per_task_names_the_variable(setting):
    with pytest.raises(ConfigurationError, match="`finops_teams_per_task` is .* or to `auto`"):
        collection.teams_per_task(10, setting)

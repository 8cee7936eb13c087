"""The simulator's configuration: YAML round trip, demo organizations and keys file, overrides, data."""

from __future__ import annotations

import os
import re
import stat
from datetime import date

import pytest
from pydantic import ValidationError

from finops.simulator.config import (
    SimulatorConfig,
    demo_config,
    demo_keys,
    load_config,
    random_key,
    stable_id,
    write_config,
)
from finops.simulator.data import bucket_results, daily_charges, expected_costs


def test_random_keys_look_like_admin_keys_and_differ():
    a, b = random_key(), random_key()
    assert a != b and re.fullmatch(r"sk-admin-[A-Za-z0-9]{48}", a)


def test_demo_config_has_three_organizations_with_stable_ids():
    keys = {"growth": random_key(), "search": random_key(), "platform": random_key()}
    config = demo_config(keys)
    assert [o.name for o in config.organizations] == ["growth", "search", "platform"]
    assert all(2 <= len(o.projects) <= 3 for o in config.organizations)
    assert demo_config(keys) == config
    by_name = {o.name: o for o in config.organizations}
    assert by_name["platform"].faults.rate_429 == pytest.approx(0.3) and by_name["platform"].faults.retry_after_seconds == 1
    assert by_name["search"].faults.null_project_share > 0
    assert by_name["growth"].keys[0].key == keys["growth"] and by_name["growth"].id == stable_id("org-", "demo/growth")


def test_yaml_round_trip_is_private(tmp_path):
    config = demo_config({"growth": random_key()})
    path = write_config(config, tmp_path / "sim" / "config.yaml")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_config(path) == config


def test_json_round_trip_is_private_and_the_config_frozen(tmp_path):
    config = demo_config({"growth": random_key()})
    path = write_config(config, tmp_path / "sim" / "config.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and path.read_text().startswith("{")
    assert load_config(path) == config
    with pytest.raises(ValidationError):  # the generation is memoised per configuration object
        config.organizations[0].seed = 7


def test_memoised_generation_follows_the_organization_object_not_its_id():
    from finops.simulator.config import ApiKeyConfig

    org = demo_config({}).organizations[0]
    pid = org.projects[0].id
    keyed = org.model_copy(update={"api_keys": [ApiKeyConfig(id="key_memo1", name="one", scope=pid),
                                                ApiKeyConfig(id="key_memo2", name="two", scope=pid, weight=3)]})
    day = next(date(2025, 3, d) for d in range(1, 28) if daily_charges(org, pid, date(2025, 3, d)))
    plain_keys = {r.api_key_id for r in bucket_results(org, day, [pid], by_api_key=True)} - {None}  # None: unkeyed
    assert {r.api_key_id for r in bucket_results(keyed, day, [pid], by_api_key=True)} - {None} == {"key_memo1",
                                                                                                   "key_memo2"}
    assert {r.api_key_id for r in bucket_results(org, day, [pid], by_api_key=True)} - {None} == plain_keys
    assert plain_keys and not plain_keys & {"key_memo1", "key_memo2"}


def test_demo_keys_file_is_created_once_with_mode_0600(tmp_path):
    path = tmp_path / "keys.json"
    keys, where, created = demo_keys(path)
    assert created and where == path and set(keys) == {"growth", "search", "platform", "anthropic:growth"}
    assert keys["anthropic:growth"].startswith("sk-ant-admin01-") and keys["growth"].startswith("sk-admin-")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again, _, created_again = demo_keys(path)
    assert again == keys and not created_again


def test_keys_file_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_SIMULATOR_KEYS_FILE", str(tmp_path / "k.json"))
    _, where, _ = demo_keys()
    assert where == tmp_path / "k.json"


def test_overrides_apply_to_every_organization():
    config = demo_config({}).with_faults(latency_ms=20, rate_429=None, string_amounts=True)
    assert all(o.faults.latency_ms == 20 and o.faults.string_amounts for o in config.organizations)
    assert {o.name: o.faults.rate_429 for o in config.organizations}["platform"] == pytest.approx(0.3)


@pytest.mark.parametrize("bad", [
    {"organizations": [{"id": "org-a"}, {"id": "org-a"}]},
    {"organizations": [{"id": "nope"}]},
    {"organizations": [{"id": "org-a", "faults": {"rate_429": 0.7, "rate_5xx": 0.6}}]},
    {"organizations": [{"id": "org-a", "keys": [{"key": "sk-admin-xxxxxxxx", "status": "sleepy"}]}]},
    {"organizations": [{"id": "org-a", "typo": 1}]},
])
def test_invalid_configs_are_rejected(bad):
    with pytest.raises(ValidationError):
        SimulatorConfig.model_validate(bad)


def test_data_is_deterministic_and_realistic():
    org = demo_config({}).organizations[0]
    pid = org.projects[0].id
    charges = [c for d in range(30) for c in daily_charges(org, pid, date(2025, 3, 1 + d % 28))]
    assert charges == [c for d in range(30) for c in daily_charges(org, pid, date(2025, 3, 1 + d % 28))]
    items = {c.line_item for c in charges}
    assert "gpt-4o-2024-08-06, input" in items and any("|" in i for i in items)
    assert any(len(repr(c.amount).split(".")[-1]) > 12 for c in charges)  # float noise


def test_null_project_results_are_merged_per_line_item():
    org = demo_config({}).organizations[1]  # search: 20 % null project
    days = [date(2025, 2, d) for d in range(1, 29)]
    results = [r for d in days for r in bucket_results(org, d, None)]
    nulls = [r for r in results if r.project_id is None]
    assert nulls
    for d in days:
        keys = [(r.project_id, r.line_item) for r in bucket_results(org, d, None)]
        assert len(keys) == len(set(keys))


def test_expected_costs_filter_and_window():
    config = demo_config({})
    org = config.organizations[0]
    one = expected_costs(config, org.id, date(2025, 1, 1), date(2025, 1, 11), [org.projects[0].id])
    everything = expected_costs(config, org.id, date(2025, 1, 1), date(2025, 1, 11))
    assert one and set(one) < set(everything)
    assert {k[0] for k in everything} <= {date(2025, 1, d) for d in range(1, 11)}
    assert expected_costs(config, org.id, date(2025, 1, 1), date(2025, 1, 1)) == {}
    with pytest.raises(KeyError):
        expected_costs(config, "org-missing", date(2025, 1, 1), date(2025, 1, 2))

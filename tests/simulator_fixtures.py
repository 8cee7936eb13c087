"""Fixtures that start the Costs API simulator over HTTP for the tests.

``simulator`` (session scope) serves five OpenAI organizations with freshly generated random keys and points
the ``openai_api`` connection at it (``AIRFLOW_CONN_OPENAI_API``, with tiny backoffs so retries do not
wait). Use it like this::

    def test_something(simulator):
        key = simulator.key(HEALTHY)                       # or simulator.keys[HEALTHY]["revoked"]
        ids = simulator.project_ids(HEALTHY)
        rows = list(CostsClient().costs(key, date(2025, 1, 1), date(2025, 1, 8), ids))
        assert totals(rows) == simulator.expected(HEALTHY, date(2025, 1, 1), date(2025, 1, 8), ids)

Organizations (import the ids from this module):
- ``HEALTHY`` (org-healthy): 3 projects, no faults; keys ``active``, ``revoked`` (401), ``no_scope`` (403).
- ``OTHER`` (org-other): 2 projects, no faults; key ``active`` (a second team's organization).
- ``FAULTY`` (org-faulty): 2 projects; 30 % 429 (Retry-After 0) and 20 % 500/503, at most 2 in a row.
- ``QUIRKY`` (org-quirky): 2 projects; amounts as strings, 25 % results with project_id null, 5 ms latency.
Anthropic organizations (``anthropic_api`` points at the same simulator):
- ``A_HEALTHY`` (anth-healthy): 3 workspaces (one archived) and spend in the default workspace; keys ``active``,
  ``revoked`` (401) and ``api_key`` (a normal sk-ant-api key, 403). Unknown fields on every page.
- ``A_FAULTY`` (anth-faulty): 2 workspaces; 25 % 429 (retry-after 0), 15 % 529 and 10 % 500, at most 2 in a row.
- ``A_OTHER`` (anth-other): 1 workspace; key ``active`` (a second team's organization).
- ``STORY`` (org-story): 2 projects, no faults; a scenario (``STORY_SCENARIO``): 100 usd a weekday, weekends at
  half, a ramp of 3 %/day from 2026-02-15, a 4x spike on ``STORY_SPIKE`` (2026-03-05) that is also the restated
  day (``POST /_simulator/restate?org_id=org-story`` makes it cost 1.5x; set ``revision=0`` back when done).
API keys (docs/attribution.md): ``HEALTHY``'s project ``proj_healthyWeb`` has ``KEY_WEB`` (user alice@example.com),
``KEY_SPIKY`` (service account ``batch-runner``, 20x its weight on ``KEY_SPIKE``) and ``KEY_OLD`` (user
bob@example.com, deleted on ``KEY_DELETED``); ``proj_healthyBatch`` has ``KEY_BATCH``; ``proj_healthyEvals`` the
default single key. ``A_HEALTHY``'s ``wrkspc_healthyChat`` has ``A_KEY_ALICE`` (a user) and ``A_KEY_BOT`` (a service
account); its other workspaces the default single key. ``POST /_simulator/clock?today=`` sets the key lists' date.
``KEYS`` (org-keys) and ``A_KEYS`` (anth-keys): a steady scenario (200 usd a day, little noise) spent through a
few keys, ``KEY_RUNAWAY`` / ``A_KEY_RUNAWAY`` taking 50x their weight on ``KEY_SPIKE`` (a runaway key whose spike
the team total does not show), for the alerts end to end.
Dates: any window works; the data is a pure function of the seed, so use fixed past dates.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

HEALTHY, OTHER, FAULTY, QUIRKY = "org-healthy", "org-other", "org-faulty", "org-quirky"
A_HEALTHY, A_FAULTY, A_OTHER = "anth-healthy", "anth-faulty", "anth-other"
STORY = "org-story"
#: Usage knobs (docs/usage.md): ``USAGE`` serves cached-input line items, a missing usage day and a mismatch day;
#: ``USAGE_DOWN`` answers every usage request with a 500 (its costs are fine).
USAGE, USAGE_DOWN = "org-usage", "org-usagedown"
USAGE_MISSING_DAY, USAGE_MISMATCH_DAY = date(2026, 3, 2), date(2026, 3, 3)
USAGE_LINE_ITEMS = ["gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06, cached input", "gpt-4o-2024-08-06, output",
                    "gpt-4o-mini-2024-07-18, input", "gpt-4o-mini-2024-07-18, output",
                    "batch | gpt-4o-mini-2024-07-18, input", "text-embedding-3-small", "dall-e-3", "whisper-1",
                    "web search tool calls"]
STORY_SPIKE = date(2026, 3, 5)
KEY_WEB, KEY_SPIKY, KEY_OLD, KEY_BATCH = "key_webAlice", "key_webBatchRunner", "key_webOldLaptop", "key_batchJobs"
A_KEY_ALICE, A_KEY_BOT = "apikey_chatAlice", "apikey_chatBot"
KEY_SPIKE, KEY_DELETED = date(2026, 3, 10), date(2026, 3, 15)
KEYS, A_KEYS = "org-keys", "anth-keys"
KEY_RUNAWAY, A_KEY_RUNAWAY = "key_runawayLoop", "apikey_runawayLoop"
KEYS_SCENARIO = {"origin": "2026-01-01", "typical": 200, "noise_sigma": 0.02}
STORY_SCENARIO = {"origin": "2026-01-01", "typical": 100, "weekend_factor": 0.5, "noise_sigma": 0.05,
                  "ramp_start": "2026-02-15", "ramp_per_day": 0.03, "spike_days": [STORY_SPIKE.isoformat()],
                  "spike_factor": 4, "restated_day": STORY_SPIKE.isoformat(), "restated_factor": 1.5}

#: The ``openai_api`` connection's extra in tests: real retries, near-zero waits.
TEST_CONNECTION_EXTRA = {
    "connect_timeout": 5,
    "read_timeout": 30,
    "max_retries": 4,
    "backoff_base_seconds": 0.001,
    "backoff_max_seconds": 0.01,
    "retry_after_max_seconds": 0,
    "max_retry_seconds": 60,
}


def build_test_config():
    """The test organizations with fresh random keys: (SimulatorConfig, {org_id: {status: key}})."""
    from finops.simulator.config import (
        ANTHROPIC_API_KEY_PREFIX,
        AdminKey,
        AnthropicKey,
        AnthropicOrganization,
        ApiKeyConfig,
        Faults,
        Organization,
        ProjectConfig,
        Scenario,
        SimulatorConfig,
        UsageKnobs,
        WorkspaceConfig,
        random_anthropic_key,
        random_key,
    )

    keys: dict[str, dict[str, str]] = {
        HEALTHY: {"active": random_key(), "revoked": random_key(), "no_scope": random_key()},
        OTHER: {"active": random_key()},
        FAULTY: {"active": random_key()},
        QUIRKY: {"active": random_key()},
        STORY: {"active": random_key()},
        USAGE: {"active": random_key()},
        USAGE_DOWN: {"active": random_key()},
        A_HEALTHY: {"active": random_anthropic_key(), "revoked": random_anthropic_key(),
                    "api_key": random_anthropic_key(ANTHROPIC_API_KEY_PREFIX)},
        A_FAULTY: {"active": random_anthropic_key()},
        A_OTHER: {"active": random_anthropic_key()},
        KEYS: {"active": random_key()},
        A_KEYS: {"active": random_anthropic_key()},
    }

    def org(org_id: str, seed: int, projects: list[tuple[str, str]], **faults) -> Organization:
        return Organization(
            id=org_id, name=org_id.removeprefix("org-"), seed=seed,
            keys=[AdminKey(key=k, status=s) for s, k in keys[org_id].items()],
            projects=[ProjectConfig(id=pid, name=name) for pid, name in projects],
            faults=Faults(**faults),
        )

    def anthropic(org_id: str, seed: int, workspaces: list[tuple[str, str, str | None]], **faults):
        return AnthropicOrganization(
            id=org_id, name=org_id.removeprefix("anth-"), seed=seed,
            keys=[AnthropicKey(key=k, status=s) for s, k in keys[org_id].items()],
            workspaces=[WorkspaceConfig(id=wid, name=name, archived_at=archived) for wid, name, archived in workspaces],
            faults=Faults(**faults),
        )

    anthropic_orgs = [
        anthropic(A_HEALTHY, 55, [("wrkspc_healthyChat", "Chat", None), ("wrkspc_healthyAgents", "Agents", None),
                                  ("wrkspc_healthyOld", "Old", "2025-06-01T00:00:00Z")], unknown_fields=True
                  ).model_copy(update={"api_keys": [
                      ApiKeyConfig(id=A_KEY_ALICE, name="chat-alice", scope="wrkspc_healthyChat", weight=7,
                                   owner_id="user_alice"),
                      ApiKeyConfig(id=A_KEY_BOT, name="chat-bot", scope="wrkspc_healthyChat", weight=3,
                                   owner_type="service_account", owner_id="svc_chatbot")]}),
        anthropic(A_FAULTY, 66, [("wrkspc_faultyA", "A", None), ("wrkspc_faultyB", "B", None)],
                  rate_429=0.25, retry_after_seconds=0, rate_529=0.15, rate_5xx=0.1, max_consecutive_faults=2),
        anthropic(A_OTHER, 77, [("wrkspc_otherOnly", "Only", None)]),
        anthropic(A_KEYS, 78, [("wrkspc_keysApp", "App", None)]).model_copy(update={
            "default_workspace": False, "scenario": Scenario.model_validate(KEYS_SCENARIO),
            "api_keys": [
                ApiKeyConfig(id="apikey_keysApp", name="app-server", scope="wrkspc_keysApp",
                             owner_type="service_account", owner_id="svc_app", weight=10),
                ApiKeyConfig(id=A_KEY_RUNAWAY, name="agent-loop", scope="wrkspc_keysApp", owner_id="user_dana",
                             weight=1, spike_days=[KEY_SPIKE], spike_factor=50)]}),
    ]
    config = SimulatorConfig(anthropic_organizations=anthropic_orgs, organizations=[
        org(HEALTHY, 11, [("proj_healthyWeb", "Web"), ("proj_healthyBatch", "Batch"), ("proj_healthyEvals", "Evals")]
            ).model_copy(update={"api_keys": [
                ApiKeyConfig(id=KEY_WEB, name="web-frontend", scope="proj_healthyWeb", owner_id="user-alice",
                             owner_name="Alice", owner_email="alice@example.com", weight=10),
                ApiKeyConfig(id=KEY_SPIKY, name="nightly-batch", scope="proj_healthyWeb", owner_type="service_account",
                             owner_id="svc_acct_batch", owner_name="batch-runner", weight=4, spike_days=[KEY_SPIKE]),
                ApiKeyConfig(id=KEY_OLD, name="old-laptop", scope="proj_healthyWeb", owner_id="user-bob",
                             owner_name="Bob", owner_email="bob@example.com", weight=3, deleted_on=KEY_DELETED),
                ApiKeyConfig(id=KEY_BATCH, name="batch-jobs", scope="proj_healthyBatch", owner_id="user-carol",
                             owner_name="Carol", owner_email="carol@example.com")]}),
        org(OTHER, 22, [("proj_otherChat", "Chat"), ("proj_otherSearch", "Search")]),
        org(FAULTY, 33, [("proj_faultyAgents", "Agents"), ("proj_faultyTools", "Tools")],
            rate_429=0.3, retry_after_seconds=0, rate_5xx=0.2, max_consecutive_faults=2),
        org(QUIRKY, 44, [("proj_quirkyVoice", "Voice"), ("proj_quirkyImages", "Images")],
            string_amounts=True, null_project_share=0.25, latency_ms=5),
        org(STORY, 88, [("proj_storyApp", "App"), ("proj_storyBatch", "Batch")]).model_copy(
            update={"scenario": Scenario.model_validate(STORY_SCENARIO)}),
        org(USAGE, 99, [("proj_usageApp", "App"), ("proj_usageLab", "Lab")]).model_copy(update={
            "line_items": USAGE_LINE_ITEMS, "zero_day_share": 0.0,
            "usage": UsageKnobs(missing_days=[USAGE_MISSING_DAY], mismatch_days=[USAGE_MISMATCH_DAY])}),
        org(USAGE_DOWN, 98, [("proj_usageDown", "Down")]).model_copy(
            update={"usage": UsageKnobs(failing=True)}),
        org(KEYS, 79, [("proj_keysApp", "App")]).model_copy(update={
            "scenario": Scenario.model_validate(KEYS_SCENARIO),
            "line_items": ["gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06, output", "assistants api | file search"],
            "api_keys": [
                ApiKeyConfig(id="key_keysAppServer", name="app-server", scope="proj_keysApp",
                             owner_type="service_account", owner_id="svc_acct_app", owner_name="app-server", weight=10),
                ApiKeyConfig(id=KEY_RUNAWAY, name="agent-loop", scope="proj_keysApp", owner_id="user-dana",
                             owner_name="Dana", owner_email="dana@example.com", weight=1, spike_days=[KEY_SPIKE],
                             spike_factor=50)]}),
    ])
    return config, keys


@dataclass
class RunningSimulator:
    """A simulator serving the test organizations; ``keys[org_id][status]`` holds their Admin keys."""

    base_url: str
    config: object
    keys: dict[str, dict[str, str]]
    connection: dict = field(default_factory=dict)

    def key(self, org_id: str = HEALTHY, status: str = "active") -> str:
        """The organization's Admin key with that status (``active``, ``revoked`` or ``no_scope``)."""
        return self.keys[org_id][status]

    def project_ids(self, org_id: str = HEALTHY) -> list[str]:
        """The organization's project IDs, in config order."""
        return [p.id for p in self.config.organization(org_id).projects]

    def expected(
        self, org_id: str, start: date, end: date, project_ids: Sequence[str] | None = None, revision: int = 0
    ) -> dict[tuple[date, str, str, str], Decimal]:
        """Totals per (usage_date, project_id, line_item, currency) the costs endpoint serves for [start, end)."""
        from finops.simulator.data import expected_costs

        return expected_costs(self.config, org_id, start, end, project_ids, revision=revision)

    def workspace_ids(self, org_id: str = A_HEALTHY) -> list[str]:
        """The Anthropic organization's workspace IDs, in config order (``default`` not included)."""
        return [w.id for w in self.config.anthropic_organization(org_id).workspaces]

    def anthropic_expected(
        self, org_id: str, start: date, end: date, workspace_ids: Sequence[str] | None = None
    ) -> tuple[dict[tuple[date, str, str, str], Decimal], dict[str, Decimal]]:
        """(kept totals per (day, workspace, description, usd), skipped totals per workspace) in dollars."""
        from finops.simulator.anthropic_data import expected_anthropic_costs

        return expected_anthropic_costs(self.config, org_id, start, end, workspace_ids)

    def restate(self, org_id: str, revision: int | None = None) -> int:
        """Restate the organization's scenario day (bump its revision, or set it); returns the revision."""
        import requests

        params = {"org_id": org_id, **({} if revision is None else {"revision": revision})}
        answer = requests.post(f"{self.base_url}/_simulator/restate", params=params, timeout=10)
        answer.raise_for_status()
        return answer.json()["revision"]

    def set_today(self, today: date | None) -> None:
        """The key lists' "today" (None: the real date), e.g. to list a key before its deletion."""
        import requests

        params = {"today": today.isoformat() if today else ""}
        requests.post(f"{self.base_url}/_simulator/clock", params=params, timeout=10).raise_for_status()

    def reset_faults(self) -> None:
        """Restart every request's fault sequence (so a test sees the same faults whatever ran before)."""
        import requests

        requests.post(f"{self.base_url}/_simulator/reset", timeout=10).raise_for_status()


@pytest.fixture(scope="session")
def simulator() -> Iterator[RunningSimulator]:
    """The simulator in a thread on a free port; ``openai_api`` points at it for the whole session."""
    from finops.simulator.server import run_in_thread

    config, keys = build_test_config()
    base_url, stop = run_in_thread(config)
    connection = {"conn_type": "http", "host": base_url, "extra": dict(TEST_CONNECTION_EXTRA)}
    names = ("AIRFLOW_CONN_OPENAI_API", "AIRFLOW_CONN_ANTHROPIC_API")
    previous = {name: os.environ.get(name) for name in names}
    for name in names:
        os.environ[name] = json.dumps(connection)
    try:
        yield RunningSimulator(base_url=base_url, config=config, keys=keys, connection=connection)
    finally:
        stop()
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def anthropic_client(simulator) -> Iterator:
    """An ``AnthropicClient`` on the ``anthropic_api`` connection (the simulator), sleeps recorded, not slept."""
    from finops.costs.anthropic import AnthropicClient

    slept: list[float] = []
    client = AnthropicClient(sleep=slept.append)
    client.slept = slept
    yield client
    client.close()


@pytest.fixture
def costs_client(simulator) -> Iterator:
    """A ``CostsClient`` on the ``openai_api`` connection (the simulator), with sleeps recorded, not slept."""
    from finops.costs import CostsClient

    slept: list[float] = []
    client = CostsClient(sleep=slept.append)
    client.slept = slept
    yield client
    client.close()


def skipped_in_log(text: str, team: str) -> dict[str, Decimal]:
    """Workspace -> amount of every "skipped" warning of ``team`` (each naming the command that registers it)."""
    pattern = (rf"Team {team}: skipped (\d+\.\d{{2,}}) usd in workspace (\S+) \(not registered; add it with "
               rf"`finops projects add {team} \2 --provider anthropic`\)")
    return {scope: Decimal(amount) for amount, scope in re.findall(pattern, text)}

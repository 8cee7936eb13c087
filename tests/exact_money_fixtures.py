"""A simulator whose organizations charge amounts that need more than 28 significant digits a day.

Shared by ``tests/integration/test_exact_money.py`` and ``tests/e2e/test_exact_money_dag.py``: OpenAI's
``org-exact`` charges ``BIG`` and ``NOISE`` (JSON numbers) on its one project every day, Anthropic's
``anth-exact`` ``CENTS`` and ``NOISE_CENTS`` (decimal strings) on each of its two workspaces.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

#: One team-day needs 31 significant digits; Python's default decimal context keeps 28.
BIG, NOISE = 1234567.89, 3.4999999999999996e-08
CENTS, NOISE_CENTS = Decimal("123456789"), Decimal("0.0000012345678901234567")
DAY = {"openai": Decimal("1234567.890000034999999999999996"), "anthropic": Decimal("1234567.890000012345678901234567")}
OPENAI_ORG, PROJECT = "org-exact", "proj_exactApp"
ANTHROPIC_ORG, KEPT, SKIPPED = "anth-exact", "wrkspc_exactKept", "wrkspc_exactSkipped"


def serve_exact_organizations() -> Iterator[SimpleNamespace]:
    """The exact organizations over HTTP (a fixture's body): ``base_url``, ``keys`` per provider and the
    ``connection`` JSON."""
    from simulator_fixtures import TEST_CONNECTION_EXTRA

    from finops.simulator.config import (
        AdminKey,
        AnthropicKey,
        AnthropicOrganization,
        Organization,
        ProjectConfig,
        SimulatorConfig,
        WorkspaceConfig,
        random_anthropic_key,
        random_key,
    )
    from finops.simulator.server import run_in_thread

    keys = {"openai": random_key(), "anthropic": random_anthropic_key()}
    config = SimulatorConfig(
        organizations=[Organization(
            id=OPENAI_ORG, keys=[AdminKey(key=keys["openai"])], projects=[ProjectConfig(id=PROJECT, name="App")],
            daily_amounts={"gpt-4o-2024-08-06, input": BIG, "text-embedding-3-small": NOISE})],
        anthropic_organizations=[AnthropicOrganization(
            id=ANTHROPIC_ORG, keys=[AnthropicKey(key=keys["anthropic"])], default_workspace=False,
            workspaces=[WorkspaceConfig(id=KEPT, name="Kept"), WorkspaceConfig(id=SKIPPED, name="Skipped")],
            daily_amounts={"Claude Sonnet 4 Usage - Input Tokens": CENTS,
                           "Claude Sonnet 4 Usage - Output Tokens": NOISE_CENTS})],
    )
    base_url, stop = run_in_thread(config)
    connection = json.dumps({"conn_type": "http", "host": base_url, "extra": TEST_CONNECTION_EXTRA})
    try:
        yield SimpleNamespace(base_url=base_url, keys=keys, connection=connection)
    finally:
        stop()


def register_exact_team(team: str, simulator: SimpleNamespace) -> None:
    """``team`` with both keys, the OpenAI project and the kept Anthropic workspace (the other one is skipped)."""
    from finops.registry import Registry

    registry, actor = Registry(), "cli:test"
    registry.add_team(team, actor)
    registry.register_key(team, simulator.keys["openai"], actor, verify=False)
    registry.add_project(team, PROJECT, actor, verify=False)
    registry.register_key(team, simulator.keys["anthropic"], actor, verify=False, provider="anthropic")
    registry.add_project(team, KEPT, actor, verify=False, provider="anthropic")

"""A local stand-in for OpenAI's (costs, projects) and Anthropic's (cost report, workspaces) admin endpoints, deterministic per seed."""

from __future__ import annotations

from finops.simulator.anthropic_data import expected_anthropic_costs
from finops.simulator.config import SimulatorConfig, demo_config, load_config, write_config
from finops.simulator.data import expected_costs

__all__ = ["SimulatorConfig", "create_app", "demo_config", "expected_anthropic_costs", "expected_costs", "load_config",
           "write_config"]


def create_app(config: SimulatorConfig, generators=None, *, cache_pages: bool = False):
    """The FastAPI app serving ``config`` (imported lazily: FastAPI is only needed to serve); ``generators``: see
    :func:`finops.simulator.app.start_generators`."""
    from finops.simulator.app import create_app as _create_app

    return _create_app(config, generators, cache_pages=cache_pages)

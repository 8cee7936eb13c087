"""A local stand-in for OpenAI's organization admin endpoints (costs and projects), deterministic per seed."""

from __future__ import annotations

from finops.simulator.config import SimulatorConfig, demo_config, load_config, write_config
from finops.simulator.data import expected_costs

__all__ = ["SimulatorConfig", "create_app", "demo_config", "expected_costs", "load_config", "write_config"]


def create_app(config: SimulatorConfig):
    """The FastAPI app serving ``config`` (imported lazily: FastAPI is only needed to serve)."""
    from finops.simulator.app import create_app as _create_app

    return _create_app(config)

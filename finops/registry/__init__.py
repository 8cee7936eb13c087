"""The team registry: teams, their Admin keys per provider (under KMS), their scopes, and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from finops.registry.service import Registry

__all__ = ["Registry"]


def __getattr__(name: str) -> Any:
    # Lazy: ``finops.registry.errors`` and ``admin_keys`` stay importable without KMS and Airflow.
    if name == "Registry":
        from finops.registry.service import Registry

        return Registry
    raise AttributeError(name)

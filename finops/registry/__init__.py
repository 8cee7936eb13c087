"""The team registry: teams, their Admin keys (under KMS), their OpenAI project IDs, and the audit log."""

from finops.registry.service import Registry

__all__ = ["Registry"]

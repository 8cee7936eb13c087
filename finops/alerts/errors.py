"""Budget and alert errors a user can act on."""

from __future__ import annotations

from finops.errors import FinopsError, UsageError


class InvalidBudget(UsageError):
    """A malformed amount, threshold list, month, provider or project of a budget."""


class BudgetNotFound(FinopsError):
    """No budget of that scope is in force from that month on."""


class UnknownProject(FinopsError):
    """The budget names a project never registered for the team."""


class InvalidMute(UsageError):
    """A malformed day or unknown alert kind of a mute."""


class MuteNotFound(FinopsError):
    """The team has no mute of that kind to end."""

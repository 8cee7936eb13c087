"""Showback's failures a user can act on, each message one sentence."""

from __future__ import annotations

from finops.errors import FinopsError, UsageError


class InvalidMember(UsageError):
    """A username or role of the wrong shape."""


class MemberNotFound(FinopsError):
    """The user is no member of the team."""


class InvalidChannel(UsageError):
    """An e-mail address or connection id of the wrong shape."""


class StatementMismatch(FinopsError):
    """A written statement does not add up to ``cost_data``; nothing is published."""


class StatementFileMissing(FinopsError):
    """An issued statement's file is not (or no longer intact) at its destination, or no such version exists."""

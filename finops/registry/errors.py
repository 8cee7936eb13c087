"""Registry errors a user can act on; messages never contain a key."""

from __future__ import annotations

from finops.errors import FinopsError, UsageError


class InvalidTeamId(UsageError):
    """A team id of the wrong shape."""


class InvalidAdminKey(UsageError):
    """Text that is not an Admin key of the provider it is registered for."""


class InvalidProjectId(UsageError):
    """A project or workspace id of the wrong shape for its provider."""


class TeamNotFound(FinopsError):
    """No team with that id."""


class TeamExists(FinopsError):
    """A team with that id is already registered."""


class TeamInactive(FinopsError):
    """The team is deactivated."""


class NoActiveKey(FinopsError):
    """The team has no active Admin key for the provider."""


class ProjectAlreadyRegistered(FinopsError):
    """The project or workspace id is already registered for the team."""


class ProjectNotRegistered(FinopsError):
    """The project or workspace id is not registered for the team."""

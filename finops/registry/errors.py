"""Registry errors a user can act on; messages never contain a key."""

from __future__ import annotations

from finops.errors import FinopsError, UsageError


class InvalidTeamId(UsageError):
    """A team id of the wrong shape."""


class InvalidAdminKey(UsageError):
    """Text that is not an OpenAI Admin key."""


class InvalidProjectId(UsageError):
    """A project id of the wrong shape."""


class TeamNotFound(FinopsError):
    """No team with that id."""


class TeamExists(FinopsError):
    """A team with that id is already registered."""


class TeamInactive(FinopsError):
    """The team is deactivated."""


class NoActiveKey(FinopsError):
    """The team has no active Admin key."""


class ProjectAlreadyRegistered(FinopsError):
    """The project id is already registered for the team."""


class ProjectNotRegistered(FinopsError):
    """The project id is not registered for the team."""

"""The project's exceptions: one type per failure a user can act on, each message one sentence."""

from __future__ import annotations


class FinopsError(Exception):
    """Base of every error whose message is written for the user (what is wrong, what to do)."""

    #: Whether retrying later can succeed (throttling, an endpoint down, a lost connection).
    retryable: bool = False


class ConfigurationError(FinopsError):
    """A connection, variable or file the project needs is missing or malformed."""


class UsageError(FinopsError):
    """The user asked for something malformed (a bad id, a key on argv); the CLI exits 2."""

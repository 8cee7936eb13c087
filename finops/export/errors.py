"""What can stop a FOCUS export, one type per thing the user can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from finops.errors import FinopsError, UsageError

if TYPE_CHECKING:
    from finops.export.conformance import CheckReport


class BadDestination(UsageError):
    """DEST is malformed, is a file, or cannot be written."""


class DestinationUnavailable(FinopsError):
    """The object store did not answer (network, throttling): trying again later can succeed."""

    retryable = True


class NoCostData(FinopsError):
    """The month (and provider) has no cost rows: there is nothing to export."""


class NotConformant(FinopsError):
    """The written month broke a FOCUS rule; nothing was published, the previous files stay."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        super().__init__(report.failure_sentence())

"""Billing months: parsing ``YYYY-MM``, their UTC bounds, and the months a collection window touched."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from finops.errors import UsageError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A UTC calendar month, the billing period of the rows whose usage_date falls in it."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        found = _MONTH.match(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise UsageError(f"--month must be a month as YYYY-MM, such as 2026-10 (got {text!r}).")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """First day of the next month (exclusive)."""
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def previous(self) -> Month:
        return Month.of(self.start - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_touched(window_start: date, window_end: date) -> list[Month]:
    """The billing months holding the days of ``[window_start, window_end)``, oldest first."""
    if window_end <= window_start:
        return []
    months = []
    month = Month.of(window_start)
    while month.start < window_end:
        months.append(month)
        month = Month.of(month.end)
    return months


def refuse_future(month: Month, today: date) -> None:
    """A month after ``today``'s has no costs yet: say so rather than write an empty file."""
    if month > Month.of(today):
        raise UsageError(
            f"{month} is in the future (today is {today.isoformat()} UTC); give the current month or an earlier one."
        )

"""Freshness: when the data was last collected and which days are still provisional (inside the look-back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from finops import paths

if TYPE_CHECKING:
    import psycopg

DEFAULT_LOOKBACK_DAYS = 2


def lookback_days() -> int:
    """The ``finops_lookback_days`` variable: days younger than this are collected again, so not final."""
    from finops.lookup import get_variable

    try:
        return max(0, int(get_variable("finops_lookback_days", DEFAULT_LOOKBACK_DAYS)))
    except (TypeError, ValueError):
        return DEFAULT_LOOKBACK_DAYS


@dataclass(frozen=True, slots=True)
class Freshness:
    """How fresh and final a period's numbers are."""

    today: date
    lookback_days: int
    last_collected: datetime | None

    @property
    def first_provisional_day(self) -> date:
        """Days from this one on are re-collected by coming runs (as the page's status grid counts them)."""
        return self.today - timedelta(days=self.lookback_days - 1) if self.lookback_days else self.today + timedelta(1)

    def is_provisional(self, day: date) -> bool:
        return day >= self.first_provisional_day

    def provisional_in(self, start: date, end: date) -> tuple[date, date] | None:
        """The provisional days of ``[start, end)`` as an inclusive ``(first, last)``, or None."""
        first = max(start, self.first_provisional_day)
        last = min(end - timedelta(days=1), self.today)
        return (first, last) if first <= last else None

    def note(self, start: date, end: date) -> str:
        """One sentence for a total over ``[start, end)``: when collected, and which days may still change."""
        collected = (f"last collected {self.last_collected:%Y-%m-%d %H:%M} UTC" if self.last_collected
                     else "never collected yet")
        span = self.provisional_in(start, end)
        if not span:
            return f"Data {collected}; every day shown is final."
        days = span[0].isoformat() if span[0] == span[1] else f"{span[0]}..{span[1]}"
        return (f"Data {collected}; {days} provisional (inside the {self.lookback_days}-day look-back, "
                f"collected again and may still change).")


def freshness(conn: psycopg.Connection, today: date, *, provider: str | None = None, team_id: str | None = None,
              lookback: int | None = None, teams: list[str] | None = None) -> Freshness:
    """The freshness of one provider's (or all) and one team's (or all, or ``teams``') data as of ``today``."""
    (last,) = conn.execute(paths.sql("analytics/last_collected"),
                           {"provider": provider, "team_id": team_id, "teams": teams}).fetchone()
    return Freshness(today=today, lookback_days=lookback_days() if lookback is None else lookback, last_collected=last)

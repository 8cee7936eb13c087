"""A team's usage rows for a window, replaced inside the costs' transaction (one lock, one commit, one outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from finops import paths
from finops.errors import FinopsError
from finops.usage.models import UsageRow

if TYPE_CHECKING:
    import psycopg


class DuplicateUsageRow(FinopsError):
    """The usage API returned the same day, scope, endpoint, key, model, tier, batch flag and context twice."""


@dataclass(slots=True)
class UsageLoad:
    """The usage of one team's window; :meth:`load` is called by the warehouse loader in its transaction."""

    rows: list[UsageRow]
    requests: int = 0
    pages: int = 0
    loaded: int = field(default=0, init=False)

    def load(self, conn: psycopg.Connection, params: dict, run_id: int) -> int:
        """Delete the window's usage rows of the team and provider, then copy the new ones in; returns the count."""
        start, end = params["window_start"], params["window_end"]
        rows = [r for r in self.rows if start <= r.usage_date < end]
        seen: set[tuple] = set()
        for row in rows:
            if row.key in seen:
                raise DuplicateUsageRow(
                    f"The {params['provider']} usage API returned the same day, scope, endpoint, key, model and tier "
                    f"twice for team {params['team_id']} ({row.usage_date}, {row.project_id}, {row.endpoint}, "
                    f"{row.model}); nothing was replaced; retry the run, and report it if it persists."
                )
            seen.add(row.key)
        conn.execute(paths.sql("usage/delete_window"), params)
        collected_at = datetime.now(UTC)
        with conn.cursor().copy(paths.sql("usage/copy_usage_rows")) as copy:
            for row in rows:
                copy.write_row((params["provider"], params["team_id"], *row, collected_at, params["dag_run_id"],
                                run_id))
        self.loaded = len(rows)
        return self.loaded

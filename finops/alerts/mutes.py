"""Muting a team's alerts up to a day: they are still recorded, but not delivered (audited like budgets)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.alerts.errors import InvalidMute, MuteNotFound
from finops.alerts.models import BUDGET_FORECAST, BUDGET_THRESHOLD, SPEND_ANOMALY
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

if TYPE_CHECKING:
    import psycopg

#: Kinds a mute can silence (the spend alerts of the alerts DAG).
MUTABLE_KINDS = (SPEND_ANOMALY, BUDGET_FORECAST, BUDGET_THRESHOLD)


@dataclass(frozen=True, slots=True)
class Mute:
    mute_id: int
    team_id: str
    kind: str
    until: date
    reason: str
    created_at: datetime
    created_by: str

    def covers(self, kind: str, team_id: str, on_day: date) -> bool:
        """Whether an alert of ``kind`` for ``team_id`` evaluated on ``on_day`` (UTC) is muted."""
        return self.kind == kind and self.team_id == team_id and on_day <= self.until


def parse_until(text: str, today: date) -> date:
    """A day from ``YYYY-MM-DD``, today or later (a mute that ended already would silence nothing)."""
    try:
        until = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidMute(f"The day {text[:20]!r} is not a date; give it as YYYY-MM-DD (e.g. 2026-12-31).") from None
    if until < today:
        raise InvalidMute(f"The day {until} is in the past; give today ({today}) or a later day.")
    return until


def check_kind(kind: str) -> str:
    if kind not in MUTABLE_KINDS:
        raise InvalidMute(f"Alerts of kind {kind[:40]!r} cannot be muted; give one of {', '.join(MUTABLE_KINDS)}.")
    return kind


def _rows(conn: psycopg.Connection, query: str, **params: Any) -> list[Mute]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(paths.sql(f"alerts/{query}"), params)
        return [Mute(**row) for row in cur.fetchall()]


def _audit(conn: psycopg.Connection, actor: str, action: str, mute: Mute) -> None:
    reason = f" ({mute.reason})" if mute.reason else ""
    conn.execute(paths.sql("alerts/mute_audit_insert"), {
        "actor": actor, "action": action, "team_id": mute.team_id,
        "detail": f"{mute.kind} alerts muted until {mute.until}{reason}",
    })


def mute(team_id: str, until: str, actor: str, *, today: date, kind: str = SPEND_ANOMALY, reason: str = "",
         conn_id: str = FINOPS_DB_CONN_ID) -> Mute:
    """Mute ``team_id``'s alerts of ``kind`` up to and including ``until`` (UTC)."""
    from finops.alerts.budgets import _lock_team

    params = {"team_id": team_id, "kind": check_kind(kind), "until": parse_until(until, today),
              "reason": reason.strip()[:200], "actor": actor}
    with connect(conn_id) as conn:
        _lock_team(conn, team_id, active=False)
        found = _rows(conn, "mute_insert", **params)[0]
        _audit(conn, actor, "alerts.mute", found)
        return found


def unmute(team_id: str, actor: str, *, kind: str = SPEND_ANOMALY, conn_id: str = FINOPS_DB_CONN_ID) -> list[Mute]:
    """End ``team_id``'s mutes of ``kind`` now; the alerts recorded meanwhile stay undelivered."""
    with connect(conn_id) as conn:
        ended = _rows(conn, "mute_cancel", team_id=team_id, kind=check_kind(kind), actor=actor)
        if not ended:
            raise MuteNotFound(f"Team {team_id} has no {kind} mute to end; see `finops alerts mutes`.")
        for found in ended:
            _audit(conn, actor, "alerts.unmute", found)
        return ended


def mutes(on_day: date, team_id: str | None = None, conn_id: str = FINOPS_DB_CONN_ID) -> list[Mute]:
    """The mutes that hold on ``on_day`` or later (every team, or one)."""
    with connect(conn_id) as conn:
        return _rows(conn, "mute_list", on_day=on_day, team_id=team_id)


def muting(found: Iterable[Mute], kind: str, team_id: str, on_day: date) -> Mute | None:
    """The mute that silences an alert, if any."""
    return next((m for m in found if m.covers(kind, team_id, on_day)), None)

"""Recording alerts in ``finops.alerts``: each fires once, whoever records it and however often."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from finops import paths
from finops.alerts.model import Alert, StoredAlert

if TYPE_CHECKING:
    import psycopg


def _params(alert: Alert) -> dict:
    from psycopg.types.json import Jsonb

    return {
        "kind": alert.kind, "team_id": alert.team_id, "provider": alert.provider, "scope": alert.scope,
        "period": alert.period, "threshold": alert.threshold, "value": alert.value, "baseline": alert.baseline,
        "budget": alert.budget, "message": alert.message, "details": Jsonb(alert.details),
    }


def record(alert: Alert, conn: psycopg.Connection | None = None) -> int | None:
    """Insert the alert; its id, or None when the same alert already fired (nothing changes then)."""
    if conn is None:
        from finops.warehouse.db import connect

        with connect() as own:
            return record(alert, own)
    row = conn.execute(paths.sql("alerts/alert_insert"), _params(alert)).fetchone()
    return row[0] if row else None


def record_many(alerts: Sequence[Alert], conn: psycopg.Connection) -> list[int | None]:
    """``record`` for each alert in order, pipelined in one round trip: ids, None where the alert already fired."""
    if not alerts:
        return []
    with conn.cursor() as cur:
        cur.executemany(paths.sql("alerts/alert_insert"), [_params(a) for a in alerts], returning=True)
        found = []
        for result in cur.results():
            row = result.fetchone()
            found.append(row[0] if row else None)
    return found


def pending_ids(conn: psycopg.Connection, limit: int) -> list[int]:
    return [r[0] for r in conn.execute(paths.sql("alerts/pending_ids"), {"limit": limit})]


def claim(conn: psycopg.Connection, alert_id: int) -> StoredAlert | None:
    """Lock a pending alert in ``conn``'s transaction; None if delivered meanwhile or claimed by another pass."""
    row = conn.execute(paths.sql("alerts/pending_claim"), {"alert_id": alert_id}).fetchone()
    if row is None:
        return None
    (alert_id, kind, team_id, provider, scope, period, threshold, value, baseline, budget, message, details,
     created_at, channels, attempts) = row
    return StoredAlert(kind=kind, message=message, team_id=team_id, provider=provider, scope=scope, period=period,
                       threshold=threshold, value=value, baseline=baseline, budget=budget, details=details or {},
                       alert_id=alert_id, created_at=created_at, channels=tuple(channels or ()), attempts=attempts)


def record_delivery(conn: psycopg.Connection, alert_id: int, channels: list[str], errors: list[str],
                    delivered: bool) -> None:
    conn.execute(paths.sql("alerts/delivery_record"), {
        "alert_id": alert_id, "channels": channels, "errors": "; ".join(errors) or None, "delivered": delivered})

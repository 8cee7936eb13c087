"""Deliver digests and statements to each team's own channels, once; a failed channel is retried by a later pass.

Each record is claimed with ``FOR UPDATE SKIP LOCKED`` in its own transaction (as ``finops.alerts.delivery``
does for alerts), and sent through the alert channels of ``finops.alerts.channels`` pointed at the team's
connections and recipients. The channels that took it are recorded, so a retry sends only to the others;
it stays pending until every channel has taken it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from finops import paths
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

DIGEST = "digest"
STATEMENT = "statement"
TEAM_PAGE = "/finops/overview/teams/{team_id}"
BATCH = 200


def team_link(team_id: str) -> str:
    """The team's page (absolute when ``[api] base_url`` is set), as the alerts link it."""
    try:
        from airflow.configuration import conf

        base = conf.get("api", "base_url", fallback="") or ""
    except Exception:  # noqa: BLE001 - outside Airflow: a relative link
        base = ""
    return base.rstrip("/") + TEAM_PAGE.format(team_id=quote(team_id, safe=""))


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    failed: dict[int, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"{len(self.delivered)} delivered"
        if self.failed:
            text += f", {len(self.failed)} still pending (" + "; ".join(
                f"#{i}: {', '.join(e)}" for i, e in sorted(self.failed.items())) + ")"
        return text + "."


def record(conn: psycopg.Connection, kind: str, team_id: str, period: str, subject: str, message: str,
           details: dict[str, Any]) -> int | None:
    """Record a delivery to make; its id, or None when this team already has it for this period."""
    from psycopg.types.json import Jsonb

    row = conn.execute(paths.sql("showback/delivery_insert"), {
        "kind": kind, "team_id": team_id, "period": period, "subject": subject, "message": message,
        "details": Jsonb(details)}).fetchone()
    return row[0] if row else None


def as_alert(row: tuple) -> Any:
    """A claimed row as the ``StoredAlert`` the alert channels send (the JSON body carries ``kind`` and details)."""
    from finops.alerts.model import StoredAlert

    delivery_id, kind, team_id, period, subject, message, details, created_at, channels, attempts = row
    return StoredAlert(kind=f"team_{kind}", message=message, team_id=team_id, period=period,
                       details={**details, "subject": subject}, alert_id=delivery_id, created_at=created_at,
                       channels=tuple(channels), attempts=attempts)


def deliver_pending(team_ids: list[str] | None = None, conn_id: str = FINOPS_DB_CONN_ID,
                    limit: int = BATCH) -> DeliveryReport:
    """Send every pending digest and statement (oldest first) to its team's channels; record what each did."""
    from finops.alerts.channels import DeliveryFailed
    from finops.errors import ConfigurationError
    from finops.showback.channels import delivery_channels, team_channels

    report = DeliveryReport()
    with connect(conn_id, autocommit=True) as conn:
        ids = [r[0] for r in conn.execute(paths.sql("showback/delivery_pending_ids"),
                                          {"team_ids": team_ids, "limit": limit})]
        for delivery_id in ids:
            with conn.transaction():
                row = conn.execute(paths.sql("showback/delivery_claim"), {"delivery_id": delivery_id}).fetchone()
                if row is None:
                    continue
                message = as_alert(row)
                channels = delivery_channels(team_channels(message.team_id, conn_id))
                done, errors = list(message.channels), []
                log.info("%s for %s (%s): %s", row[1], message.team_id, message.period, message.message)
                if not channels:
                    log.warning("Team %s has no channels; its %s is recorded only (set them with `finops channels "
                                "set %s`).", message.team_id, row[1], message.team_id)
                for channel in channels:
                    if channel.name in done:
                        continue
                    try:
                        channel.send(message)
                    except (DeliveryFailed, ConfigurationError) as exc:  # a missing connection: say which, retry later
                        errors.append(f"{channel.name}: {exc}")
                        continue
                    done.append(channel.name)
                conn.execute(paths.sql("showback/delivery_record"), {
                    "delivery_id": delivery_id, "channels": done, "errors": "; ".join(errors) or None,
                    "delivered": not errors})
            if errors:
                report.failed[delivery_id] = errors
                log.warning("%s #%d not delivered yet (%s); the next pass retries it.", row[1], delivery_id,
                            "; ".join(errors))
            else:
                report.delivered.append(delivery_id)
    return report


def recent_digests(team_id: str, limit: int = 8, conn_id: str = FINOPS_DB_CONN_ID) -> list[dict[str, Any]]:
    """The team's last ``limit`` weekly digests (newest first), with their delivery state, for the team page."""
    from psycopg.rows import dict_row

    with connect(conn_id) as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(paths.sql("showback/digest_list"), {"team_id": team_id, "limit": limit})
        return cur.fetchall()

"""Deliver pending alerts through every configured channel; a failed channel is retried by a later pass.

Each alert is claimed with ``FOR UPDATE SKIP LOCKED`` in its own short transaction, so two passes
(the DAG's alert task and its failure notifier, or two DAG runs) never send it twice. An alert is
delivered when every configured channel has taken it; the channels that did are recorded, so a retry
sends only to those that failed. Nothing is dropped: an alert stays pending until delivered. A team's alert
goes to the team's own channels (`finops channels set`) as well as the global ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from finops.alerts import store
from finops.alerts.channels import Channel, DeliveryFailed, configured_channels

log = logging.getLogger(__name__)

#: Alerts handled per pass; the rest wait for the next pass (a backlog cannot stall a task for long).
BATCH = 200


@dataclass
class DeliveryReport:
    delivered: list[int] = field(default_factory=list)
    failed: dict[int, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"{len(self.delivered)} alert(s) delivered"
        if self.failed:
            text += f", {len(self.failed)} still pending (" + "; ".join(
                f"#{i}: {', '.join(e)}" for i, e in sorted(self.failed.items())) + ")"
        return text + "."


def deliver_pending(channels: list[Channel] | None = None, limit: int = BATCH) -> DeliveryReport:
    """Send every pending alert (oldest first) through the channels; record what each channel did."""
    from finops.showback.channels import team_alert_channels
    from finops.warehouse.db import connect

    channels = configured_channels() if channels is None else channels
    report = DeliveryReport()
    teams: dict[str | None, list[Channel]] = {}  # a team's own channels (finops channels set), read once a pass
    # One connection for the pass (opening one per alert cost ~40 ms each: bench alerts_dag), one
    # transaction per alert: its claim holds while its channels are tried, and its record commits alone.
    with connect(autocommit=True) as conn:
        for alert_id in store.pending_ids(conn, limit):
            with conn.transaction():
                alert = store.claim(conn, alert_id)
                if alert is None:
                    continue  # delivered meanwhile, or another pass holds it
                done, errors = list(alert.channels), []
                log.warning("ALERT %s: %s", alert.kind, alert.message)  # the log is always a channel
                if alert.team_id not in teams:
                    teams[alert.team_id] = team_alert_channels(conn, alert.team_id)
                for channel in [*channels, *teams[alert.team_id]]:
                    if channel.name in done:
                        continue
                    try:
                        channel.send(alert)
                    except DeliveryFailed as exc:
                        errors.append(str(exc))
                        continue
                    done.append(channel.name)
                store.record_delivery(conn, alert_id, done, errors, delivered=not errors)
            if errors:
                report.failed[alert_id] = errors
                log.warning("Alert #%d not delivered yet (%s); the next delivery pass retries it.", alert_id,
                            "; ".join(errors))
            else:
                report.delivered.append(alert_id)
    return report

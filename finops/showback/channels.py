"""A team's own channels (e-mail recipients, a Slack webhook connection, a webhook connection), and
the alert channels that deliver to them, built from ``finops.alerts.channels`` so a message reads the same.

``alert_channels(team_id, global_channels)`` is what the alerts delivery calls to send a team's alert to its
own channels as well as the global ones; the team's channels are named ``team-webhook``, ``team-slack``,
``team-email`` so a retry skips the ones that already took the alert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from finops.showback.errors import InvalidChannel
from finops.showback.members import audit, lock_team, rows
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

EMAIL = re.compile(r"^[^@\s,;<>]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
CONN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")


@dataclass(frozen=True, slots=True)
class TeamChannels:
    team_id: str
    email: list[str] = field(default_factory=list)
    slack_conn_id: str | None = None
    webhook_conn_id: str | None = None
    updated_at: datetime | None = None
    updated_by: str = ""

    @property
    def empty(self) -> bool:
        return not (self.email or self.slack_conn_id or self.webhook_conn_id)

    def describe(self) -> str:
        parts = []
        if self.email:
            parts.append("e-mail " + ", ".join(self.email))
        if self.slack_conn_id:
            parts.append(f"Slack `{self.slack_conn_id}`")
        if self.webhook_conn_id:
            parts.append(f"webhook `{self.webhook_conn_id}`")
        return "; ".join(parts) or "none"


def parse_emails(text: str | None) -> list[str] | None:
    """Recipients from ``a@x.org,b@x.org`` (None: unchanged; empty text: none)."""
    if text is None:
        return None
    found = [e.strip() for e in re.split(r"[,;\s]+", text) if e.strip()]
    for address in found:
        if not EMAIL.match(address):
            raise InvalidChannel(f"{address[:80]!r} is not an e-mail address; give addresses like lead@example.com, "
                                 "separated by commas.")
    return sorted(dict.fromkeys(found))


def check_conn_id(conn_id: str | None, what: str) -> str | None:
    """A connection id of Airflow's shape (None: unchanged; empty: cleared)."""
    if conn_id is None or conn_id == "":
        return conn_id
    if not CONN_ID.match(conn_id):
        raise InvalidChannel(f"The {what} connection id {conn_id[:80]!r} is not an Airflow connection id; use "
                             "letters, digits, `_`, `.` or `-`.")
    return conn_id


def set_channels(team_id: str, actor: str, *, email: str | None = None, slack_conn: str | None = None,
                 webhook_conn: str | None = None, conn_id: str = FINOPS_DB_CONN_ID) -> TeamChannels:
    """Set some of a team's channels (the others stay; an empty value clears one); audited."""
    params = {"team_id": team_id, "email": parse_emails(email), "actor": actor,
              "slack_conn_id": check_conn_id(slack_conn, "Slack"),
              "webhook_conn_id": check_conn_id(webhook_conn, "webhook")}
    if params["email"] is None and slack_conn is None and webhook_conn is None:
        raise InvalidChannel("Nothing to set; give --email, --slack-conn or --webhook-conn (an empty value clears one).")
    with connect(conn_id) as conn:
        lock_team(conn, team_id, active=False)
        found = rows(conn, "channels_upsert", TeamChannels, **params)[0]
        audit(conn, actor, "channels.set", team_id, found.describe())
        return found


def list_channels(team_id: str | None = None, conn_id: str = FINOPS_DB_CONN_ID) -> list[TeamChannels]:
    with connect(conn_id) as conn:
        return rows(conn, "channels_list", TeamChannels, team_id=team_id)


def team_channels(team_id: str, conn_id: str = FINOPS_DB_CONN_ID) -> TeamChannels:
    """A team's channels (none set: an empty record)."""
    found = list_channels(team_id, conn_id)
    return found[0] if found else TeamChannels(team_id=team_id)


def delivery_channels(channels: TeamChannels) -> list:
    """The team's channels as senders (``finops.alerts.channels``' webhook, Slack and e-mail), named ``team-*``."""
    from finops.alerts.channels import EmailChannel, SlackChannel, WebhookChannel

    found: list = []
    if channels.webhook_conn_id:
        found.append(WebhookChannel(conn_id=channels.webhook_conn_id, name="team-webhook"))
    if channels.slack_conn_id:
        found.append(SlackChannel(conn_id=channels.slack_conn_id, name="team-slack"))
    if channels.email:
        found.append(EmailChannel(recipients=",".join(channels.email), name="team-email"))
    return found


def team_alert_channels(conn, team_id: str | None) -> list:
    """A team's own channels as senders, read on the caller's connection (none for an alert of no team)."""
    if not team_id:
        return []
    found = rows(conn, "channels_list", TeamChannels, team_id=team_id)
    return delivery_channels(found[0]) if found else []


def alert_channels(team_id: str | None, global_channels: list, conn_id: str = FINOPS_DB_CONN_ID) -> list:
    """The channels a team's alert goes to: the global ones, then the team's own (for ``finops.alerts.delivery``)."""
    if not team_id:
        return list(global_channels)
    return list(global_channels) + delivery_channels(team_channels(team_id, conn_id))

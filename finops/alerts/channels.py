"""Alert channels: the ``finops_alerts`` webhook, Slack (``finops_slack``) and e-mail (``finops_alert_email``).

A channel exists when its connection or variable does; each sends one alert or raises. Secrets
(webhook URLs, SMTP passwords) stay in the connections and never reach an error message.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Protocol

from finops.alerts.model import StoredAlert
from finops.errors import ConfigurationError

log = logging.getLogger(__name__)

WEBHOOK_CONN_ID = "finops_alerts"
SLACK_CONN_ID = "finops_slack"
EMAIL_VARIABLE = "finops_alert_email"
SMTP_CONN_ID = "smtp_default"
TIMEOUT_S = 10


class Channel(Protocol):
    name: str

    def send(self, alert: StoredAlert) -> None: ...


class DeliveryFailed(Exception):
    """A channel could not deliver; the message names the channel and the cause, never a secret."""


@dataclass
class WebhookChannel:
    """HTTP POST of the alert as JSON to the ``finops_alerts`` connection's host (any webhook receiver)."""

    conn_id: str = WEBHOOK_CONN_ID
    name: str = "webhook"

    def send(self, alert: StoredAlert) -> None:
        import requests

        from finops.lookup import get_connection

        conn = get_connection(self.conn_id)
        host = conn.host or ""
        url = host if "://" in host else f"{conn.schema or 'https'}://{host}"
        if conn.port and "://" not in host:
            url = f"{url}:{conn.port}"
        try:
            response = requests.post(url, json=alert.payload(), timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            raise DeliveryFailed(f"the webhook `{self.conn_id}` did not answer ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise DeliveryFailed(f"the webhook `{self.conn_id}` answered HTTP {response.status_code}")


@dataclass
class SlackChannel:
    """The Slack provider's incoming-webhook hook on the ``finops_slack`` connection."""

    conn_id: str = SLACK_CONN_ID
    name: str = "slack"

    def send(self, alert: StoredAlert) -> None:
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        try:
            SlackWebhookHook(slack_webhook_conn_id=self.conn_id, timeout=TIMEOUT_S).send(text=alert.message)
        except Exception as exc:  # the SDK raises several types; the message may hold the URL, so drop it
            raise DeliveryFailed(f"Slack (`{self.conn_id}`) refused or did not answer ({type(exc).__name__})") from None


@dataclass
class EmailChannel:
    """E-mail through the SMTP provider (``smtp_default``) to the ``finops_alert_email`` recipients."""

    recipients: str
    conn_id: str = SMTP_CONN_ID
    name: str = "email"

    def send(self, alert: StoredAlert) -> None:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        try:
            with SmtpHook(smtp_conn_id=self.conn_id) as smtp:
                smtp.send_email_smtp(to=self.recipients, subject=alert.subject(), html_content=email_html(alert))
        except Exception as exc:  # smtplib, sockets and the hook's own errors alike
            raise DeliveryFailed(f"e-mail through `{self.conn_id}` failed ({type(exc).__name__})") from None


def email_html(alert: StoredAlert) -> str:
    """The e-mail body: every value escaped, so a team id or API message cannot inject markup."""
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in (("kind", alert.kind), ("provider", alert.provider), ("team", alert.team_id),
                     ("period", alert.period)) if v
    )
    return f"<pre>{html.escape(alert.message)}</pre><table>{rows}</table>"


def configured_channels() -> list[Channel]:
    """The channels whose connection or variable exists (none configured: alerts go to the log only)."""
    from finops.lookup import get_connection, get_variable

    found: list[Channel] = []
    for channel in (WebhookChannel(), SlackChannel()):
        try:
            get_connection(channel.conn_id)
        except ConfigurationError:
            continue
        found.append(channel)
    recipients = get_variable(EMAIL_VARIABLE, None)
    if recipients and str(recipients).strip():
        found.append(EmailChannel(recipients=str(recipients).strip()))
    return found

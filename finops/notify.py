"""Failure alerts for ``openai_costs_daily``: always a log line; a webhook and/or e-mail when configured."""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)

WEBHOOK_CONN_ID = "finops_alerts"
EMAIL_VARIABLE = "finops_alert_email"


def failed_teams(dag_run_id: str) -> dict[str, str]:
    """Teams whose last attempt in the run failed, with the recorded reason (secret-free by design)."""
    from finops import paths
    from finops.warehouse.db import connect

    with connect() as conn:
        rows = conn.execute(paths.sql("collection/run_outcomes"), {"dag_run_id": dag_run_id}).fetchall()
    return {row[0]: row[2] or "" for row in rows if row[1] != "success"}


class CollectionFailureNotifier(BaseNotifier):
    """Says which teams failed and why.

    Channels: the task log (always); an HTTP POST of a JSON body to the ``finops_alerts``
    connection's host when that connection exists (Slack/Teams/any webhook); an e-mail through the
    SMTP provider when the ``finops_alert_email`` variable holds recipients.
    """

    def __init__(self, webhook_conn_id: str = WEBHOOK_CONN_ID, email_variable: str = EMAIL_VARIABLE) -> None:
        super().__init__()
        self.webhook_conn_id = webhook_conn_id
        self.email_variable = email_variable

    def message(self, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        dag_run = context.get("dag_run")
        run_id = getattr(dag_run, "run_id", None) or context.get("run_id", "?")
        try:
            teams = failed_teams(run_id)
        except Exception as exc:  # the database may be what failed
            teams = {}
            log.warning("Could not read failed teams for %s: %s", run_id, type(exc).__name__)
        reason = context.get("reason") or ""
        lines = [f"openai_costs_daily run {run_id} failed{': ' + reason if reason else ''}."]
        lines += [f"- team {team}: {why}" for team, why in sorted(teams.items())]
        if not teams:
            lines.append("No team failed its collection: see the data quality and success rate task logs.")
        return "\n".join(lines), {"dag_id": "openai_costs_daily", "run_id": run_id, "failed_teams": teams}

    def notify(self, context: dict[str, Any]) -> None:
        text, payload = self.message(context)
        log.error("%s", text)
        self._webhook(text, payload)
        self._email(text)

    def _webhook(self, text: str, payload: dict[str, Any]) -> None:
        from finops.errors import ConfigurationError
        from finops.lookup import get_connection

        try:
            conn = get_connection(self.webhook_conn_id)
        except ConfigurationError:
            return
        import requests

        url = conn.host if "://" in (conn.host or "") else f"https://{conn.host}"
        try:
            requests.post(url, json={"text": text, **payload}, timeout=10).raise_for_status()
        except requests.RequestException as exc:
            log.warning("The alert webhook %s failed: %s", self.webhook_conn_id, type(exc).__name__)

    def _email(self, text: str) -> None:
        from finops.lookup import get_variable

        recipients = get_variable(self.email_variable, None)
        if not recipients:
            return
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        try:
            with SmtpHook() as smtp:
                smtp.send_email_smtp(to=recipients, subject="FinOps: openai_costs_daily failed",
                                     html_content=f"<pre>{text}</pre>")
        except Exception as exc:
            log.warning("The alert e-mail failed: %s", type(exc).__name__)

"""The collection DAGs' failure notifier: every failed run alerts once, with its reason, on every channel.

The run's watcher task records why it failed (gates, teams, expectations) as a ``run_failed``
alert; this notifier records a plainer one when the watcher could not run (the run failed
elsewhere), then delivers every pending alert through :mod:`finops.alerts.delivery` (the
``finops_alerts`` webhook, Slack via ``finops_slack``, e-mail to ``finops_alert_email``).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def failed_teams(dag_run_id: str, provider: str = "openai") -> dict[str, str]:
    """Teams whose last attempt in the run failed, with the recorded reason (secret-free by design)."""
    from finops.alerts.runs import failed_teams as teams

    return teams(provider, dag_run_id)


class CollectionFailureNotifier:
    """Records the run's failure (unless its watcher did) and delivers pending alerts; always logs.

    A plain callable rather than a ``BaseNotifier``: on Airflow 3.3.2 ``airflow dags test`` hands DAG
    callbacks a serialized DAG, on which ``BaseNotifier`` fails while rendering its (absent) templates.
    """

    def __init__(self, provider: str = "openai") -> None:
        self.provider = provider

    def __call__(self, context: dict[str, Any]) -> None:
        self.notify(context)

    def notify(self, context: dict[str, Any]) -> None:
        from finops.alerts import runs, store
        from finops.alerts.delivery import deliver_pending

        dag_run = context.get("dag_run")
        run_id = getattr(dag_run, "run_id", None) or context.get("run_id", "?")
        dag = context.get("dag")
        dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None) or f"{self.provider}_costs_daily"
        reason = str(context.get("reason") or "")
        log.error("%s run %s failed%s.", dag_id, run_id, f" ({reason})" if reason else "")
        try:
            if not runs.run_failure_recorded(self.provider, run_id):
                note = f"{reason}; see the failed tasks in the grid" if reason else "see the failed tasks in the grid"
                store.record(runs.run_failed_alert(self.provider, dag_id, run_id, {},
                                                   runs.failed_teams(self.provider, run_id), note=note))
            log.info("%s", deliver_pending().summary())
        except Exception as exc:  # the warehouse may be what failed: the log line above is all we can do
            log.error("Could not record or deliver the failure alert of %s: %s", run_id, exc)

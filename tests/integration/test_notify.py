"""The DAG's failure notifier posts the failed teams and reasons to the webhook connection."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from finops.notify import CollectionFailureNotifier
from finops.warehouse.loader import Window, record_failure


@pytest.fixture
def webhook(monkeypatch):
    received: list[dict] = []
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()
            done.set()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_ALERTS", json.dumps(
        {"conn_type": "http", "host": f"http://127.0.0.1:{server.server_port}/hook"}))
    yield received, done
    server.shutdown()


def test_failure_callback_posts_failed_teams_and_reasons(db, webhook):
    received, done = webhook
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('growth', 'G', 't'), ('search', 'S', 't')")
    window = Window(date(2026, 3, 1), date(2026, 3, 2))
    reason = "The Admin key was rejected (401): it is revoked or wrong; re-register it."
    record_failure("growth", window, reason, dag_run_id="run-1", started_at=datetime.now(UTC))
    context = {"dag_run": SimpleNamespace(run_id="run-1"), "reason": "task_failure"}
    CollectionFailureNotifier().notify(context)
    assert done.wait(10)
    payload = received[0]
    assert payload["run_id"] == "run-1" and payload["failed_teams"] == {"growth": reason}
    assert "team growth: " + reason in payload["text"]


def test_the_notifier_delivers_the_watchers_reason_once_and_adds_none(db, webhook):
    from finops.alerts import runs, store

    received, done = webhook
    reason = "Cost data ... failed 1 data-quality expectation(s): currency_accepted: 3 unexpected"
    store.record(runs.run_failed_alert("openai", "openai_costs_daily", "run-2", {"check_data_quality": reason}, {}))
    notifier = CollectionFailureNotifier(provider="openai")
    notifier({"dag_run": SimpleNamespace(run_id="run-2"), "reason": "task_failure"})
    notifier({"dag_run": SimpleNamespace(run_id="run-2"), "reason": "task_failure"})  # a second callback
    assert done.wait(10)
    assert len(received) == 1 and received[0]["failed_gates"] == {"check_data_quality": reason}
    assert "check_data_quality failed" in received[0]["text"] and "currency_accepted" in received[0]["text"]
    assert db.execute("SELECT count(*) FROM finops.alerts WHERE kind = 'run_failed'").fetchone() == (1,)

"""Alerts: recorded once, delivered through the webhook, Slack and e-mail, retried until delivered."""

from __future__ import annotations

import email
import json
import threading
from datetime import date
from decimal import Decimal

import pytest
from alert_receivers import SmtpSink, WebhookReceiver

from finops.alerts import store
from finops.alerts.channels import configured_channels, email_html
from finops.alerts.delivery import deliver_pending
from finops.alerts.late import deadline_hours, due_days, late_alert
from finops.alerts.model import Alert, StoredAlert
from finops.alerts.streaks import TeamOutcome, reason_key, run_outcomes, update_streaks


@pytest.fixture
def slack(monkeypatch):
    receiver = WebhookReceiver().start("/services/T000/B000/XXXX")
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_SLACK", json.dumps({"conn_type": "slackwebhook", "password": receiver.url}))
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp(monkeypatch):
    sink = SmtpSink().start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(sink.connection()))
    monkeypatch.setenv("AIRFLOW_VAR_FINOPS_ALERT_EMAIL", "oncall@example.test")
    yield sink
    sink.stop()


def _team(db, *teams: str) -> None:
    for team in teams:
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 't')", (team, team))


def test_an_alert_fires_once_per_kind_team_provider_scope_period_threshold(db):
    alert = Alert(kind="budget_threshold", message="m", team_id="growth", provider="openai", scope="team",
                  period="2026-03", threshold=Decimal("80"), value=Decimal("812.5"), budget=Decimal("1000"))
    first = store.record(alert)
    assert first is not None
    assert store.record(alert) is None
    assert store.record(Alert(**{**alert.__dict__, "threshold": Decimal("100")})) is not None
    # NULL team and threshold still compare equal: a run-level alert without them fires once too.
    plain = Alert(kind="run_failed", message="m", provider="openai", scope="run", period="run-1")
    assert store.record(plain) is not None and store.record(plain) is None
    assert db.execute("SELECT count(*) FROM finops.alerts").fetchone()[0] == 3


def test_a_batch_records_like_one_insert_each_in_order(db):
    alert = Alert(kind="budget_threshold", message="m", team_id="growth", provider="openai", scope="team",
                  period="2026-03", threshold=Decimal("80"), value=Decimal("812.5"), budget=Decimal("1000"))
    earlier = store.record(alert)
    other = Alert(**{**alert.__dict__, "threshold": Decimal("100")})
    plain = Alert(kind="run_failed", message="m", provider="openai", scope="run", period="run-1")
    with db.transaction():
        ids = store.record_many([alert, other, plain, other, plain], db)
    # The one that fired before and the repeats inside the batch are not recorded again.
    assert ids[0] is None and ids[3] is None and ids[4] is None
    assert None not in ids[1:3] and earlier not in ids
    stored = dict(db.execute("SELECT alert_id, coalesce(threshold, -1) FROM finops.alerts").fetchall())
    assert stored == {earlier: Decimal("80"), ids[1]: Decimal("100"), ids[2]: Decimal("-1")}
    assert store.record_many([], db) == []


def test_pending_alerts_reach_every_channel_exactly_once(db, webhook, slack, smtp):
    _team(db, "growth")
    ids = [store.record(Alert(kind="collection_failed", message=f"failure {n}", team_id="growth", provider="openai",
                              scope="collection", period=f"2026-03-0{n}")) for n in (1, 2)]
    assert [c.name for c in configured_channels()] == ["webhook", "slack", "email"]
    report = deliver_pending()
    assert sorted(report.delivered) == sorted(ids) and not report.failed
    assert [b["text"] for b in webhook.received] == ["failure 1", "failure 2"]
    assert webhook.received[0]["kind"] == "collection_failed" and webhook.received[0]["team_id"] == "growth"
    assert [b["text"] for b in slack.received] == ["failure 1", "failure 2"]
    assert [m["to"] for m in smtp.messages] == [["oncall@example.test"]] * 2
    assert deliver_pending().delivered == []  # nothing pending: nothing sent again
    assert len(webhook.received) == len(slack.received) == len(smtp.messages) == 2
    rows = db.execute("SELECT channels, delivered_at IS NOT NULL, attempts FROM finops.alerts ORDER BY alert_id").fetchall()
    assert rows == [(["webhook", "slack", "email"], True, 1)] * 2


def test_a_failed_channel_is_retried_later_and_the_others_are_not_resent(db, webhook, smtp):
    alert_id = store.record(Alert(kind="collection_late", message="late", provider="openai", scope="day",
                                  period="2026-03-09"))
    webhook.fail_next(1)
    report = deliver_pending()
    assert report.failed == {alert_id: ["the webhook `finops_alerts` answered HTTP 500"]}
    assert len(smtp.messages) == 1 and webhook.received == []
    row = db.execute("SELECT channels, delivered_at, delivery_errors, attempts FROM finops.alerts").fetchone()
    assert row == (["email"], None, "the webhook `finops_alerts` answered HTTP 500", 1)

    assert deliver_pending().delivered == [alert_id]
    assert [b["text"] for b in webhook.received] == ["late"] and len(smtp.messages) == 1
    row = db.execute("SELECT channels, delivered_at IS NOT NULL, attempts FROM finops.alerts").fetchone()
    assert row == (["email", "webhook"], True, 2)


def test_an_unreachable_webhook_keeps_the_alert_pending(db, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FINOPS_ALERTS", json.dumps({"conn_type": "http", "host": "http://127.0.0.1:9/x"}))
    alert_id = store.record(Alert(kind="collection_late", message="late", provider="openai", scope="day", period="d"))
    assert deliver_pending().failed[alert_id][0].startswith("the webhook `finops_alerts` did not answer")
    assert db.execute("SELECT delivered_at FROM finops.alerts").fetchone() == (None,)


def test_concurrent_delivery_passes_send_each_alert_once(db, webhook):
    for n in range(20):
        store.record(Alert(kind="collection_late", message=f"late {n}", provider="openai", scope="day", period=str(n)))
    threads = [threading.Thread(target=deliver_pending) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(b["text"] for b in webhook.received) == sorted(f"late {n}" for n in range(20))
    assert db.execute("SELECT count(*) FROM finops.alerts WHERE delivered_at IS NULL").fetchone() == (0,)


def test_email_html_escapes_every_value(db, smtp):
    hostile = StoredAlert(kind="collection_failed", message="API said <script>alert(1)</script> & more",
                          team_id="t<b>x", provider="openai")
    body = email_html(hostile)
    assert "<script>" not in body and "&lt;script&gt;" in body and "t&lt;b&gt;x" in body and "&amp; more" in body
    store.record(Alert(kind="collection_failed", message="<img src=x onerror=alert(1)>", provider="openai",
                       scope="collection", period="p"))
    deliver_pending()
    html_part = next(p for p in email.message_from_string(smtp.messages[0]["data"]).walk()
                     if p.get_content_type() == "text/html")
    sent = html_part.get_payload(decode=True).decode()
    assert "<img" not in sent and "&lt;img src=x onerror=alert(1)&gt;" in sent


def _run(db, team: str, run_id: str, status: str, error: str | None = None, day: date = date(2026, 3, 1)) -> None:
    db.execute(
        "INSERT INTO finops.collection_runs (team_id, window_start, window_end, status, error, dag_run_id, started_at) "
        "VALUES (%s, %s, %s + 1, %s, %s, %s, now())", (team, day, day, status, error, run_id))


def _streak(provider: str, run_id: str, day: date, team: str, ok: bool, reason: str = "") -> list[str]:
    ids = update_streaks(provider, run_id, day, [TeamOutcome(team, ok, reason)])
    return [k for (k,) in _kinds(ids)]


def _kinds(ids):
    from finops.warehouse.db import connect

    with connect() as conn:
        return conn.execute("SELECT kind FROM finops.alerts WHERE alert_id = ANY(%s) ORDER BY alert_id", (ids,)).fetchall()


def test_a_failure_streak_alerts_once_a_new_reason_again_and_recovery_once(db):
    _team(db, "growth")
    revoked = "The Admin key was rejected (401): it is revoked or wrong; re-register it."
    d = [date(2026, 3, n) for n in range(1, 8)]
    assert _streak("openai", "r1", d[0], "growth", True) == []            # first run ok: nothing to say
    assert _streak("openai", "r2", d[1], "growth", False, revoked) == ["collection_failed"]
    assert _streak("openai", "r3", d[2], "growth", False, revoked.replace("re-register", "re-register ")) == []  # same reason
    assert _streak("openai", "r2", d[1], "growth", False, revoked) == []  # a rerun of an older day: silent
    other = "The Costs API kept answering 503 after 4 retries; the task retries later."
    assert _streak("openai", "r4", d[3], "growth", False, other) == ["collection_failed"]  # a different reason
    assert _streak("openai", "r5", d[4], "growth", True) == ["collection_recovered"]
    assert _streak("openai", "r5", d[4], "growth", True) == []            # the same run again: silent
    assert _streak("openai", "r6", d[5], "growth", True) == []
    assert _streak("openai", "bf", d[2], "growth", False, revoked) == []  # a backfill of an old day: silent
    assert _streak("anthropic", "a1", d[5], "growth", False, revoked) == ["collection_failed"]  # per provider
    messages = [r[0] for r in db.execute("SELECT message FROM finops.alerts ORDER BY alert_id")]
    assert "failing since 2026-03-02" in messages[0] and revoked in messages[0]
    assert "failing since 2026-03-02" in messages[1] and other in messages[1]
    assert messages[2].startswith("Recovered: team growth's openai costs")
    state = db.execute("SELECT status, observed_until FROM finops.collection_streaks WHERE provider = 'openai'").fetchone()
    assert state == ("ok", d[5])


def test_run_outcomes_take_each_teams_last_attempt_and_count_missing_teams_as_failed(db):
    _team(db, "growth", "search", "ghost")
    _run(db, "growth", "run-1", "failed", "HTTP 503")
    _run(db, "growth", "run-1", "success")
    _run(db, "search", "run-1", "failed", "revoked")
    outcomes = {o.team_id: o for o in run_outcomes("openai", "run-1", ["growth", "search", "ghost"])}
    assert outcomes["growth"].succeeded and not outcomes["search"].succeeded
    assert outcomes["search"].reason == "revoked" and "no attempt recorded" in outcomes["ghost"].reason


def test_reason_key_ignores_numbers_and_spacing():
    assert reason_key("HTTP 503 after 4 retries") == reason_key("http 502  after 5 retries")
    assert reason_key("revoked") != reason_key("no scope")


def test_late_alert_names_teams_without_a_successful_collection_of_the_day(db):
    _team(db, "growth", "search", "idle")
    db.execute("INSERT INTO finops.projects (team_id, project_id, created_by) VALUES "
               "('growth', 'proj_a', 't'), ('search', 'proj_b', 't')")
    day = date(2026, 3, 9)
    _run(db, "growth", "r", "success", day=day)
    _run(db, "search", "r", "failed", "revoked", day=day)
    _run(db, "search", "r0", "success", day=date(2026, 3, 7))
    assert late_alert("openai", day, Decimal(6)) is None  # the teams were created after the day closed
    db.execute("UPDATE finops.teams SET created_at = '2026-01-01'")
    alert = late_alert("openai", day, Decimal(6))
    assert alert.kind == "collection_late" and alert.period == "2026-03-09" and alert.team_id is None
    assert alert.details["teams"] == {"search": "2026-03-07"}  # idle: no key, no project, not expected
    assert "search (collected until 2026-03-07)" in alert.message and "6 h after the day closed" in alert.message
    _run(db, "search", "r2", "success", day=day)
    assert late_alert("openai", day, Decimal(6)) is None


def test_due_days_are_those_whose_deadline_passed():
    from datetime import UTC, datetime

    at = datetime(2026, 3, 10, 5, 59, tzinfo=UTC)
    assert due_days(at, Decimal(6)) == [date(2026, 3, 8), date(2026, 3, 7), date(2026, 3, 6)]
    assert due_days(at.replace(hour=6, minute=0), Decimal(6))[0] == date(2026, 3, 9)
    assert due_days(at.replace(hour=0, minute=30), Decimal("0.5"))[0] == date(2026, 3, 9)


def test_deadline_hours_default_and_bad_values():
    assert deadline_hours(None) == 6 and deadline_hours("0.5") == Decimal("0.5") and deadline_hours("x") == 6
    assert deadline_hours("-1") == 6


def test_a_teams_alert_also_reaches_the_teams_own_channels(db, webhook, monkeypatch):
    """`finops channels set` routes a team's alerts to its own webhook as well as the global one; others' stay out."""
    from finops.showback.channels import set_channels

    own = WebhookReceiver().start()
    monkeypatch.setenv("AIRFLOW_CONN_GROWTH_HOOK", json.dumps({"conn_type": "http", "host": own.url}))
    try:
        _team(db, "growth", "search")
        set_channels("growth", "t", webhook_conn="growth_hook")
        ids = [store.record(Alert(kind="collection_failed", message=f"{team} failed", team_id=team,
                                  provider="openai", scope="collection", period="2026-03-01"))
               for team in ("growth", "search")]
        report = deliver_pending()
        assert sorted(report.delivered) == sorted(ids)
        assert sorted(b["text"] for b in webhook.received) == ["growth failed", "search failed"]
        assert [b["text"] for b in own.received] == ["growth failed"]
        channels = db.execute("SELECT channels FROM finops.alerts WHERE alert_id = %s", (ids[0],)).fetchone()[0]
        assert channels == ["webhook", "team-webhook"]
    finally:
        own.stop()

"""The spend alerts DAG's task bodies against the real PostgreSQL and a webhook receiver on localhost."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from finops.alerts import budgets, mutes
from finops.alerts.tasks import deliver_task, evaluate_task, plan_scope_task
from finops.assets import COST_DATA

AS_OF = date(2026, 12, 14)
SPIKE = date(2026, 12, 11)  # settles at AS_OF (lookback 2): the run whose window is Dec 12-13 flags it
MODEL = "gpt-4o-2024-08-06"


class Event:
    """What Airflow hands a task as one triggering asset event (only ``extra`` is read)."""

    def __init__(self, extra: dict):
        self.extra = extra


def _event(start: date, end: date, teams: list[str]) -> dict:
    return {COST_DATA: [Event({"provider": "openai", "window_start": start.isoformat(), "window_end": end.isoformat(),
                               "teams": teams, "rows": 1, "amount_total": "1"})]}


@pytest.fixture
def spend(db):
    """growth: 10/day with a 200 spike on SPIKE and a 400 December budget; search: 5/day with a 100 spike, muted."""
    for team in ("growth", "search", "quiet"):
        db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 't')", (team, team))
    rows = []
    day = date(2026, 10, 1)
    while day < AS_OF:
        rows.append(("growth", day, Decimal("200") if day == SPIKE else Decimal("10")))
        rows.append(("search", day, Decimal("100") if day == SPIKE else Decimal("5")))
        rows.append(("quiet", day, Decimal("1")))
        day += timedelta(days=1)
    with db.cursor() as cur:
        cur.executemany(
            "INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, "
            "collected_at) VALUES ('openai', %s, %s, 'proj_a', %s, 'usd', %s, %s)",
            [(t, d, f"{MODEL}, input", a, datetime(2026, 12, 14, tzinfo=UTC)) for t, d, a in rows])
    budgets.set_budget("growth", "400", "test", today=AS_OF)
    mutes.mute("search", "2026-12-31", "test", today=AS_OF, reason="known load test")
    return db


def _run(events) -> dict:
    scope = plan_scope_task(events, None, datetime(2026, 12, 14, 1, tzinfo=UTC))
    return evaluate_task(scope)


def test_a_collection_event_fires_exactly_the_expected_alerts_once_and_a_rerun_sends_nothing(spend, webhook):
    result = _run(_event(date(2026, 12, 12), AS_OF, ["growth", "search", "quiet"]))
    assert result["fired"] == {"budget_threshold": 2, "budget_forecast": 1, "spend_anomaly": 4}
    assert result["muted"] == 2
    rows = spend.execute(
        "SELECT kind, team_id, provider, scope, period, threshold, value, details ? 'muted', details ? 'told_with' "
        "FROM finops.alerts ORDER BY alert_id").fetchall()
    keys = {(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows}
    assert keys == {
        ("budget_threshold", "growth", None, "team", "2026-12", Decimal(50)),
        ("budget_threshold", "growth", None, "team", "2026-12", Decimal(80)),
        ("budget_forecast", "growth", None, "team", "2026-12", Decimal(100)),
        ("spend_anomaly", "growth", None, "team", "2026-12-11", None),
        ("spend_anomaly", "growth", "openai", f"model:{MODEL}", "2026-12-11", None),
        ("spend_anomaly", "search", None, "team", "2026-12-11", None),
        ("spend_anomaly", "search", "openai", f"model:{MODEL}", "2026-12-11", None),
    }
    # Month-to-date 12 x 10 + 200 = 320: exact, equal to SQL over cost_data.
    mtd = spend.execute("SELECT sum(amount) FROM finops.cost_data WHERE team_id = 'growth' "
                        "AND usage_date >= '2026-12-01' AND usage_date < %s", (AS_OF,)).fetchone()[0]
    assert {r[6] for r in rows if r[0] == "budget_threshold"} == {mtd} == {Decimal("320")}
    assert sum(1 for r in rows if r[7]) == 2 and all(r[1] == "search" for r in rows if r[7])
    assert sum(1 for r in rows if r[8]) == 1  # the 80 % threshold is told in the 50 % one's message

    report = deliver_task()
    assert len(report["delivered"]) == 4 and report["followers"] == 1 and report["pending"] == []
    bodies = sorted(webhook.received, key=lambda b: (b["kind"], b["scope"]))
    assert [(b["kind"], b["team_id"], b["scope"]) for b in bodies] == [
        ("budget_forecast", "growth", "team"), ("budget_threshold", "growth", "team"),
        ("spend_anomaly", "growth", f"model:{MODEL}"), ("spend_anomaly", "growth", "team")]
    threshold = bodies[1]["text"]
    assert "320.00 usd" in threshold and "400.00 usd" in threshold and "the 50 % and 80 % thresholds are crossed" in threshold
    assert all("/finops/overview/teams/growth" in b["text"] for b in bodies)
    anomaly = bodies[3]["text"]
    assert "200.00 usd on 2026-12-11" in anomaly and "20.0x" in anomaly and "median 10.00 usd" in anomaly
    delivered = spend.execute("SELECT team_id, delivered_at IS NOT NULL FROM finops.alerts").fetchall()
    assert sorted(delivered) == [("growth", True)] * 5 + [("search", False)] * 2  # muted: recorded, never sent

    # The same event again (a rerun), and a manual run over both months: nothing new, nothing sent.
    assert _run(_event(date(2026, 12, 12), AS_OF, ["growth", "search", "quiet"]))["new"] == []
    assert _run(None)["new"] == []
    assert deliver_task()["delivered"] == []
    assert len(webhook.received) == 4
    assert spend.execute("SELECT count(*) FROM finops.alerts").fetchone()[0] == 7


def test_a_failing_webhook_is_retried_and_the_alert_delivered_later(spend, webhook):
    from airflow.sdk.exceptions import AirflowException

    _run(_event(date(2026, 12, 12), AS_OF, ["growth"]))
    webhook.fail_next(1)
    with pytest.raises(AirflowException, match="still pending"):
        deliver_task()
    assert len(webhook.received) == 3
    pending = spend.execute("SELECT delivery_errors FROM finops.alerts WHERE delivered_at IS NULL "
                            "AND NOT details ? 'muted' AND NOT details ? 'told_with'").fetchall()
    assert pending == [("the webhook `finops_alerts` answered HTTP 500",)]
    report = deliver_task()  # the task's retry (or the next run)
    assert len(report["delivered"]) == 1 and report["pending"] == []
    assert len(webhook.received) == 4
    assert spend.execute("SELECT count(*) FROM finops.alerts WHERE team_id = 'growth' AND delivered_at IS NULL"
                         ).fetchone()[0] == 0


def test_a_manual_run_evaluates_the_current_and_previous_month_of_its_data_interval(spend, webhook):
    scope = plan_scope_task(None, datetime(2026, 12, 14, tzinfo=UTC), None)
    assert scope == {"as_of": "2026-12-14", "months": ["2026-11-01", "2026-12-01"], "days": None, "teams": None}
    # A November budget of 250 (spent 300): its thresholds fire for November, recorded with their own period.
    budgets.set_budget("growth", "250", "test", today=date(2026, 11, 15))
    budgets.set_budget("growth", "400", "test", today=AS_OF)
    result = evaluate_task(scope)
    periods = spend.execute("SELECT DISTINCT period FROM finops.alerts WHERE kind = 'budget_threshold' "
                            "ORDER BY period").fetchall()
    assert periods == [("2026-11",), ("2026-12",)]
    assert result["fired"]["budget_threshold"] == 5  # 50/80/100 % of November, 50/80 % of December


@pytest.fixture
def cli(db, capsys, monkeypatch):
    from finops.cli import main

    monkeypatch.setattr("finops.cli.alerts._today", lambda: AS_OF)

    def run(*args: str):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_mute_and_unmute_are_audited_and_bad_input_stores_nothing(cli, db):
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES ('growth', 'growth', 't')")
    code, out, _ = cli("alerts", "mute", "growth", "--until", "2026-12-20", "--reason", "load test")
    assert code == 0 and "muted until 2026-12-20" in out
    assert "growth" in cli("alerts", "mutes")[1] and "load test" in cli("alerts", "mutes")[1]
    for args, said in [
        (("alerts", "mute", "growth", "--until", "2026-12-13"), "is in the past"),
        (("alerts", "mute", "growth", "--until", "20-12-2026"), "is not a date"),
        (("alerts", "mute", "nobody", "--until", "2026-12-20"), "does not exist"),
        (("alerts", "unmute", "growth", "--kind", "budget_forecast"), "has no budget_forecast mute"),
    ]:
        code, _, err = cli(*args)
        assert code != 0 and said in err and len(err.strip().splitlines()) == 1, err
    assert db.execute("SELECT count(*) FROM finops.alert_mutes").fetchone()[0] == 1
    code, out, _ = cli("alerts", "unmute", "growth")
    assert code == 0 and "1 mute(s) ended" in out
    assert cli("alerts", "mutes")[1].startswith("No mutes")
    audit = db.execute("SELECT actor LIKE 'cli:%%', action, team_id, detail FROM finops.audit_log ORDER BY audit_id").fetchall()
    assert audit == [(True, "alerts.mute", "growth", "spend_anomaly alerts muted until 2026-12-20 (load test)"),
                     (True, "alerts.unmute", "growth", "spend_anomaly alerts muted until 2026-12-20 (load test)")]


def test_a_restated_day_and_a_later_collection_never_resend(spend, webhook):
    _run(_event(date(2026, 12, 12), AS_OF, ["growth"]))
    deliver_task()
    assert len(webhook.received) == 4
    # The spike day is restated upward and the next day's collection arrives: the same alerts hold
    # (same kind, team, scope, period, threshold), so nothing is recorded or sent again.
    spend.execute("UPDATE finops.cost_data SET amount = 250 WHERE team_id = 'growth' AND usage_date = %s", (SPIKE,))
    spend.execute("INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, "
                  "amount, collected_at) VALUES ('openai', 'growth', %s, 'proj_a', 'gpt-4o-2024-08-06, input', "
                  "'usd', 10, now())", (AS_OF,))
    later = _run(_event(date(2026, 12, 11), AS_OF + timedelta(days=1), ["growth"]))
    # The budget alerts hold again; the spike day was judged once and is not judged again (only Dec 12 is new).
    assert later["new"] == [] and later["alerts"] == 3 and later["judged"] == 2
    assert deliver_task()["delivered"] == []
    assert len(webhook.received) == 4

"""Issue 23 over the real PostgreSQL: every settled day judged once, forecasts on collected days, exact money.

The alerts DAG's task bodies run as Airflow runs them; a webhook receiver on localhost counts what is sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from finops.alerts import budgets
from finops.alerts.tasks import deliver_task, evaluate_task, plan_scope_task
from finops.assets import COST_DATA

MODEL = "gpt-4o-2024-08-06"


class Event:
    """What Airflow hands a task as one triggering asset event (only ``extra`` is read)."""

    def __init__(self, extra: dict):
        self.extra = extra


def _event(start: date, end: date, teams: list[str]) -> dict:
    return {COST_DATA: [Event({"provider": "openai", "window_start": start.isoformat(), "window_end": end.isoformat(),
                               "teams": teams, "rows": 1, "amount_total": "1"})]}


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days)]


def _load(db, team: str, amounts: dict[date, Decimal | list[Decimal]]) -> None:
    """Cost rows as a range run (or a backfill) leaves them: one line item per amount and day."""
    db.execute("INSERT INTO finops.teams (team_id, name, created_by) VALUES (%s, %s, 't') ON CONFLICT DO NOTHING",
               (team, team))
    rows = []
    for day, values in amounts.items():
        for n, amount in enumerate(values if isinstance(values, list) else [values]):
            rows.append((team, day, f"{MODEL}, {('input', 'output', 'cached input')[n]}", amount))
    with db.cursor() as cur:
        cur.executemany(
            "INSERT INTO finops.cost_data (provider, team_id, usage_date, project_id, line_item, currency, amount, "
            "collected_at) VALUES ('openai', %s, %s, 'proj_a', %s, 'usd', %s, now())", rows)


def _manual_run(day: date) -> dict:
    """``airflow dags test finops_spend_alerts DAY``'s first two tasks: no event, every team, two months."""
    return evaluate_task(plan_scope_task(None, datetime(day.year, day.month, day.day, tzinfo=UTC), None))


def _judged(db) -> int:
    return db.execute("SELECT count(*) FROM finops.anomaly_judgements").fetchone()[0]


def test_a_range_run_then_a_manual_run_sends_the_spike_once_and_records_older_ones_unsent(db, webhook):
    # The reported case: October and November loaded at once, 6x spikes on Oct 20 and Nov 20, then a manual run.
    spend = {d: Decimal(100) for d in _days(date(2026, 10, 1), date(2026, 12, 1))}
    spend[date(2026, 10, 20)] = spend[date(2026, 11, 20)] = Decimal(600)
    _load(db, "beta", spend)

    first = _manual_run(date(2026, 12, 5))
    assert first["fired"] == {"spend_anomaly": 4} and first["not_sent"] == 2 and first["muted"] == 0
    assert first["judged"] == 2 * 61  # both series (team, model) x every day with spend, each once
    report = deliver_task()
    assert sorted((b["scope"], b["period"]) for b in webhook.received) == [
        (f"model:{MODEL}", "2026-11-20"), ("team", "2026-11-20")]
    team_body = next(b for b in webhook.received if b["scope"] == "team")
    assert "600.00 usd on 2026-11-20, 6.0x its typical day (median 100.00 usd" in team_body["text"]
    assert len(report["delivered"]) == 2 and report["pending"] == []
    # October's spike is older than the previous month of the run's reference date: recorded, shown, not sent.
    older = db.execute("SELECT scope, delivered_at, details ->> 'not_sent' FROM finops.alerts "
                       "WHERE period = '2026-10-20' ORDER BY scope").fetchall()
    assert [(s, d) for s, d, _ in older] == [(f"model:{MODEL}", None), ("team", None)]
    assert all("recorded, not sent" in why for *_, why in older)
    verdicts = db.execute("SELECT outcome, count(*), count(alert_id) FROM finops.anomaly_judgements "
                          "GROUP BY outcome ORDER BY outcome").fetchall()
    assert verdicts == [("no_history", 2 * 14, 0), ("normal", 2 * 45, 0), ("spike", 4, 4)]

    again = _manual_run(date(2026, 12, 5))
    assert again["new"] == [] and again["judged"] == 0
    later = _manual_run(date(2026, 12, 20))  # a later manual run: still nothing judged twice, nothing sent
    assert later["new"] == [] and later["judged"] == 0
    assert deliver_task()["delivered"] == []
    assert len(webhook.received) == 2 and _judged(db) == 2 * 61


def test_a_spike_collected_by_a_run_that_sent_no_event_is_judged_by_the_next_event(db, webhook):
    # Dec 1-11 were loaded by a run whose gates failed (no Asset event); the next run's event is for Dec 12-13.
    spend = {d: Decimal(40) for d in _days(date(2026, 11, 1), date(2026, 12, 14))}
    spend[date(2026, 12, 5)] = Decimal(400)
    _load(db, "beta", spend)

    result = evaluate_task(plan_scope_task(_event(date(2026, 12, 12), date(2026, 12, 14), ["beta"]), None,
                                           datetime(2026, 12, 14, 1, tzinfo=UTC)))
    assert result["fired"] == {"spend_anomaly": 2} and result["not_sent"] == 0
    deliver_task()
    assert sorted((b["scope"], b["period"]) for b in webhook.received) == [
        (f"model:{MODEL}", "2026-12-05"), ("team", "2026-12-05")]
    # The same event again (a cleared run) and a manual run: every settled day is judged already.
    assert evaluate_task(plan_scope_task(_event(date(2026, 12, 12), date(2026, 12, 14), ["beta"]), None,
                                         datetime(2026, 12, 14, 2, tzinfo=UTC)))["judged"] == 0
    assert _manual_run(date(2026, 12, 14))["new"] == []
    assert deliver_task()["delivered"] == [] and len(webhook.received) == 2


def _collected(db, team: str, start: date, end: date) -> None:
    db.execute("INSERT INTO finops.collection_runs (provider, team_id, window_start, window_end, status, started_at, "
               "finished_at) VALUES ('openai', %s, %s, %s, 'success', now(), now())", (team, start, end))


def test_a_month_with_no_day_collected_gets_no_forecast_and_no_invented_zero(db, webhook):
    # The reported case: costs collected through 2026-11-28, a manual run on 2026-12-05, a December budget.
    _load(db, "beta", {d: Decimal("3149.44") for d in _days(date(2026, 10, 1), date(2026, 11, 29))})
    _collected(db, "beta", date(2026, 10, 1), date(2026, 11, 29))
    budgets.set_budget("beta", "3000", "test", today=date(2026, 12, 5), from_month="2026-12")

    result = _manual_run(date(2026, 12, 5))
    assert result["fired"] == {}  # no December day is known: no "0.00 usd spent", no run-out on Dec 3
    assert db.execute("SELECT count(*) FROM finops.alerts WHERE kind LIKE 'budget%%'").fetchone()[0] == 0


def test_a_stale_month_is_forecast_from_its_collected_days_and_says_how_far_they_reach(db, webhook):
    _load(db, "beta", {d: Decimal(100) for d in _days(date(2026, 11, 1), date(2026, 12, 3))})
    _collected(db, "beta", date(2026, 11, 1), date(2026, 12, 3))  # through Dec 2; the run is on Dec 10
    budgets.set_budget("beta", "2000", "test", today=date(2026, 12, 10))

    result = _manual_run(date(2026, 12, 10))
    assert result["fired"] == {"budget_forecast": 3}  # 50, 80 and 100 %, told in one message
    value, message = db.execute("SELECT value, message FROM finops.alerts WHERE kind = 'budget_forecast' "
                                "AND threshold = 50").fetchone()
    assert value == Decimal(3100)  # 2 collected days + 29 at the rate, not 7 days of invented zeros
    assert "(200.00 usd spent through 2026-12-02, about 100.00 usd a day; costs are collected" in message
    assert "costs are collected only through 2026-12-02: the 7 day(s) after it are not collected yet and count as unknown, not as zero)" in message
    assert "runs out on 2026-12-20" in message and "(0.00 usd spent" not in message


def test_alert_and_judgement_figures_equal_sql_sums_past_28_digits(db, webhook):
    tiny = Decimal("3.5000000000000004E-8")
    big = Decimal("98765.4321000000000000000000000001")  # 34 significant digits
    spend: dict[date, Decimal | list[Decimal]] = {
        d: [Decimal("12345.67"), tiny] for d in _days(date(2026, 11, 1), date(2026, 12, 14))}
    spend[date(2026, 12, 11)] = [Decimal("12345.67"), tiny, big]
    _load(db, "exact", spend)
    budgets.set_budget("exact", "400000", "test", today=date(2026, 12, 14))

    evaluate_task(plan_scope_task(_event(date(2026, 12, 12), date(2026, 12, 14), ["exact"]), None,
                                  datetime(2026, 12, 14, 1, tzinfo=UTC)))
    mtd = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE usage_date >= '2026-12-01' "
                     "AND usage_date < '2026-12-14'").fetchone()[0]
    assert len(mtd.as_tuple().digits) > 28
    thresholds = db.execute("SELECT threshold, value FROM finops.alerts WHERE kind = 'budget_threshold'").fetchall()
    assert thresholds == [(Decimal(50), mtd)]
    spike = db.execute("SELECT sum(amount) FROM finops.cost_data WHERE usage_date = '2026-12-11'").fetchone()[0]
    anomalies = db.execute("SELECT scope, value FROM finops.alerts WHERE kind = 'spend_anomaly' ORDER BY scope").fetchall()
    assert anomalies == [(f"model:{MODEL}", spike), ("team", spike)]
    mismatched = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE j.value <> s.amount) FROM finops.anomaly_judgements j "
        "JOIN (SELECT usage_date, sum(amount) AS amount FROM finops.cost_data GROUP BY usage_date) s "
        "ON s.usage_date = j.day").fetchone()
    assert mismatched == (2 * 41, 0)  # Nov 1 to Dec 11, team and model series, each equal to SQL to the last digit

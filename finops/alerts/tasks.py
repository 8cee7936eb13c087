"""Task bodies of the ``finops_spend_alerts`` DAG: what to evaluate, recording the alerts once, delivering them.

The scope comes from the triggering ``finops.cost_data`` events (their windows); without one, the
current and previous UTC month of the run's data interval end. Every alert that holds is inserted
under ``finops.alerts``'s fire-once rule; only the newly recorded ones are told, one message per
group (thresholds crossed at once), and not at all while the team's kind of alert is muted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import quote

from finops.alerts import model as stored
from finops.alerts.models import Alert, month_start, utc_day

log = logging.getLogger(__name__)

TEAM_PAGE = "/finops/overview/teams/{team_id}"


@dataclass(frozen=True, slots=True)
class AlertScope:
    """What a run evaluates: spend collected before ``as_of``; budgets of ``months``; anomalies of ``days``.

    ``days`` None means the default (the day that settles at ``as_of``); ``teams`` None means every team.
    """

    as_of: date
    months: tuple[date, ...]
    days: tuple[date, ...] | None
    teams: tuple[str, ...] | None

    def as_dict(self) -> dict[str, Any]:
        """JSON for XCom (ISO dates)."""
        return {"as_of": self.as_of.isoformat(), "months": [m.isoformat() for m in self.months],
                "days": None if self.days is None else [d.isoformat() for d in self.days],
                "teams": None if self.teams is None else list(self.teams)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertScope:
        days, teams = data.get("days"), data.get("teams")
        return cls(as_of=date.fromisoformat(data["as_of"]),
                   months=tuple(date.fromisoformat(m) for m in data["months"]),
                   days=None if days is None else tuple(date.fromisoformat(d) for d in days),
                   teams=None if teams is None else tuple(teams))


def _previous_month(first: date) -> date:
    return month_start(first - timedelta(days=1))


def scope_of_windows(extras: Iterable[Mapping[str, Any]]) -> AlertScope | None:
    """The union of the events' windows (``window_start``, ``window_end`` exclusive); None without any window."""
    starts, ends, teams, every_team = [], [], set(), False
    for extra in extras:
        if not extra or not extra.get("window_start") or not extra.get("window_end"):
            continue
        start, end = date.fromisoformat(str(extra["window_start"])), date.fromisoformat(str(extra["window_end"]))
        if end <= start:
            continue
        starts.append(start)
        ends.append(end)
        if extra.get("teams") is None:
            every_team = True
        else:
            teams.update(str(t) for t in extra["teams"])
    if not starts:
        return None
    days: set[date] = set()
    months: set[date] = set()
    for start, end in zip(starts, ends, strict=True):
        for n in range((end - start).days):
            day = start + timedelta(days=n)
            days.add(day)
            months.add(month_start(day))
    return AlertScope(as_of=max(ends), months=tuple(sorted(months)), days=tuple(sorted(days)),
                      teams=None if every_team else tuple(sorted(teams)))


def _extras(triggering_asset_events: Any) -> list[Mapping[str, Any]]:
    """The ``extra`` of every triggering event (Airflow gives a mapping of asset to its events)."""
    if not triggering_asset_events:
        return []
    groups = triggering_asset_events.values() if hasattr(triggering_asset_events, "values") else [triggering_asset_events]
    found = []
    for events in groups:
        for event in events or ():
            extra = event.get("extra") if isinstance(event, Mapping) else getattr(event, "extra", None)
            found.append(dict(extra or {}))
    return found


def plan_scope_task(triggering_asset_events: Any = None, data_interval_end: datetime | None = None,
                    run_after: datetime | None = None) -> dict[str, Any]:
    """The run's scope: the triggering events' windows, else the current and previous month for every team."""
    scope = scope_of_windows(_extras(triggering_asset_events))
    if scope is None:
        moment = data_interval_end or run_after
        if moment is None:
            raise ValueError("The run has neither a data interval end nor a run-after time; trigger it again.")
        as_of = utc_day(moment)
        current = month_start(as_of)
        scope = AlertScope(as_of=as_of, months=(_previous_month(current), current), days=None, teams=None)
        log.info("No triggering cost_data event: evaluating %s and %s for every team, data before %s.",
                 scope.months[0], scope.months[1], as_of)
    else:
        log.info("Evaluating %d day(s) %s..%s in month(s) %s for %s, data before %s.", len(scope.days or ()),
                 (scope.days or [None])[0], (scope.days or [None])[-1], ", ".join(map(str, scope.months)),
                 "every team" if scope.teams is None else f"{len(scope.teams)} team(s)", scope.as_of)
    return scope.as_dict()


def _base_url() -> str:
    try:
        from airflow.configuration import conf

        return conf.get("api", "base_url", fallback="") or ""
    except Exception:  # outside Airflow: a relative link still names the page
        return ""


def team_link(team_id: str, base_url: str | None = None) -> str:
    """The team's spend page (absolute when ``[api] base_url`` is set)."""
    if base_url is None:
        base_url = _base_url()
    return base_url.rstrip("/") + TEAM_PAGE.format(team_id=quote(team_id, safe=""))


def _stored(alert: Alert, link: str, muted: str | None, not_sent: str | None = None) -> stored.Alert:
    details: dict[str, Any] = {"currency": alert.currency, "summary": alert.summary, "link": link,
                               "provisional": alert.provisional}
    if muted:
        details["muted"] = muted
    if not_sent:
        details["not_sent"] = not_sent
    return stored.Alert(kind=alert.kind, message=f"{alert.message} See {link}", team_id=alert.team_id,
                        provider=alert.provider, scope=alert.scope, period=alert.period,
                        threshold=None if alert.threshold is None else Decimal(alert.threshold),
                        value=alert.value, baseline=alert.baseline, budget=alert.budget, details=details)


def too_old(alert: Alert, on_day: date) -> str | None:
    """Why a spike judged only now is recorded but not sent (its day is before the previous month), or None."""
    from finops.alerts.evaluate import deliver_from
    from finops.alerts.models import SPEND_ANOMALY

    if alert.kind != SPEND_ANOMALY:
        return None
    first = deliver_from(on_day)
    if date.fromisoformat(alert.period) >= first:
        return None
    return f"judged on {on_day}, after its month and the next had passed: recorded, not sent (sent from {first} on)"


def record_alerts(alerts: list[Alert], *, on_day: date, link=team_link, verdicts=()) -> dict[str, Any]:
    """Insert the alerts once and the days judged with them; fold new thresholds of one group into one message.

    Muted alerts, and spikes of days before the previous month of ``on_day``, are recorded but not sent.
    Returns the new alert ids, by kind, how many were muted, and how many days were judged.
    """
    from psycopg.types.json import Jsonb

    from finops import paths
    from finops.alerts import judgements, store
    from finops.alerts.evaluate import notifications
    from finops.alerts.mutes import mutes, muting
    from finops.warehouse.db import connect

    if link is team_link:  # read the configuration once, not once per alert
        link = partial(team_link, base_url=_base_url())
    holding = mutes(on_day) if alerts else []
    new: list[tuple[int, Alert, bool]] = []
    muted: list[bool] = []
    rows: list[stored.Alert] = []
    for alert in alerts:
        mute = muting(holding, alert.kind, alert.team_id, on_day)
        note = f"muted until {mute.until} (mute #{mute.mute_id})" if mute else None
        late = too_old(alert, on_day)
        rows.append(_stored(alert, link(alert.team_id), note, late))
        muted.append(mute is not None or late is not None)  # neither is told
    with connect() as conn:
        # One pipelined batch, not a round trip per alert: 3,400 alerts over 1,000 teams (bench alerts_dag).
        for alert_id, alert, is_muted in zip(store.record_many(rows, conn), alerts, muted, strict=True):
            if alert_id is not None:
                new.append((alert_id, alert, is_muted))
        ids = {a.key: alert_id for alert_id, a, _ in new}
        messages, folds = [], []
        for note in notifications([a for _, a, is_muted in new if not is_muted], link):
            if len(note.alerts) < 2:
                continue
            head, *rest = [ids[a.key] for a in note.alerts]
            messages.append({"alert_id": head, "message": note.message})
            folds.append({"alert_ids": rest, "facts": Jsonb({"told_with": head})})
        with conn.cursor() as cur:
            if messages:
                cur.executemany(paths.sql("alerts/alert_message"), messages)
                cur.executemany(paths.sql("alerts/alert_fold"), folds)
        # In the alerts' transaction: a day is judged only together with the alert it holds.
        judged = judgements.record(verdicts, on_day, conn)
    fired: dict[str, int] = {}
    for _, alert, _muted in new:
        fired[alert.kind] = fired.get(alert.kind, 0) + 1
    late = sum(1 for _, a, _ in new if too_old(a, on_day))
    return {"new": [i for i, _, _ in new], "fired": fired, "muted": sum(1 for *_, m in new if m) - late,
            "not_sent": late, "judged": judged}


def evaluate_task(scope_data: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate budgets, forecasts and anomalies over the scope, record the alerts once, emit the metrics.

    Anomalies: every settled day with spend not judged yet (whatever collected it), and the scope's
    provisional days when ``finops_anomaly_provisional`` allows; budgets: the scope's months.
    """
    from finops.alerts import judgements
    from finops.alerts.budgets import budgets
    from finops.alerts.evaluate import budget_alerts_of, default_days, judge_anomalies, spend_window
    from finops.alerts.forecast import settled_before
    from finops.alerts.keys import judge_keys, load_key_spend
    from finops.alerts.rules import AlertRules
    from finops.alerts.spend import analytics_model, collected_until, load_daily_spend
    from finops.lookup import get_variable

    scope = AlertScope.from_dict(scope_data)
    rules = AlertRules.from_variables(get_variable)
    boundary = settled_before(scope.as_of, rules.lookback_days)
    settled = judgements.unjudged_days(boundary, scope.teams)
    # Provisional days are judged (when allowed) as they come in the windows, and again once settled.
    provisional = {d for d in set(scope.days or ()) | set(default_days(scope.as_of, rules)) if d >= boundary}
    days = sorted(set(settled) | provisional)
    start, end = spend_window(scope.as_of, scope.months, days, rules)
    changes = [b for b in budgets() if scope.teams is None or b.team_id in scope.teams]
    # Projects matter only to project budgets: other teams' spend comes summed over their projects.
    spend = load_daily_spend(start, end, scope.teams, by_model=True, provider_model=analytics_model,
                             project_teams={b.team_id for b in changes if b.project_id})
    collected = collected_until(scope.as_of, scope.teams)
    alerts = budget_alerts_of(spend, changes, as_of=scope.as_of, rules=rules, months=scope.months, collected=collected)
    done = judgements.judged(min(settled), boundary, scope.teams) if settled else set()
    verdicts = judge_anomalies(spend, days, scope.as_of, rules, done)
    # Runaway API keys (scope api_key:<id>): the same rule and identity, plus keys waking after 28 quiet days.
    verdicts += judge_keys(load_key_spend(start, end, scope.teams), days, scope.as_of, rules, done)
    alerts += [v.alert for v in verdicts if v.alert is not None]
    result = record_alerts(alerts, on_day=scope.as_of, verdicts=verdicts)
    _metrics(spend, changes, scope, rules, result["fired"], collected)
    log.info("%d alert(s) hold, %d new (%s), %d of them muted, %d judged too late to send; %d settled day(s) of "
             "%d series judged (%s..%s).", len(alerts), len(result["new"]),
             ", ".join(f"{k}: {n}" for k, n in sorted(result["fired"].items())) or "none", result["muted"],
             result["not_sent"],
             len(settled), len({v.series for v in verdicts}), settled[0] if settled else "-",
             settled[-1] if settled else "-")
    return {"alerts": len(alerts), **result}


def _metrics(spend, changes, scope: AlertScope, rules, fired: Mapping[str, int], collected=None) -> None:
    """``finops.budget.utilization`` / ``forecast_utilization`` per budget of the latest month; fired by kind."""
    from finops.alerts.evaluate import budget_forecast, reach_by_team
    from finops.alerts.models import effective_budgets

    stats = _stats()
    month = max(scope.months)
    by_team: dict[str, list] = {}
    for row in spend:  # once: scanning every row for every budget was quadratic (bench alerts_dag)
        by_team.setdefault(row.team_id, []).append(row)
    reach = reach_by_team(collected)
    for budget in effective_budgets(changes, month):
        amount = budget.amount or Decimal(1)
        forecast = budget_forecast(by_team.get(budget.team_id, []), budget, month, scope.as_of, rules,
                                   None if collected is None else reach.get(budget.team_id, {}))
        tags = {"team_id": budget.team_id, "provider": budget.provider or "all", "project_id": budget.project_id or "all"}
        stats.gauge("finops.budget.utilization", float(forecast.actual * 100 / amount), tags=tags)
        if forecast.projected is not None:
            stats.gauge("finops.budget.forecast_utilization", float(forecast.projected * 100 / amount), tags=tags)
    for kind, count in fired.items():
        stats.incr("finops.alerts.fired", count, tags={"kind": kind})


def _stats():
    from airflow.sdk.observability.stats import Stats

    return Stats


def deliver_task() -> dict[str, Any]:
    """Deliver the pending alerts (new and earlier failures); grouped thresholds follow their message's delivery."""
    from finops import paths
    from finops.alerts.delivery import deliver_pending
    from finops.warehouse.db import connect

    report = deliver_pending()
    with connect() as conn:
        followers = conn.execute(paths.sql("alerts/told_with_delivered")).rowcount
    log.info("%s %d alert(s) told in another's message marked delivered with it.", report.summary(), followers)
    if report.failed:
        from airflow.sdk.exceptions import AirflowException

        # Retryable: the task's retries send what is pending again; the alerts stay recorded meanwhile.
        raise AirflowException(report.summary())
    return {"delivered": report.delivered, "pending": sorted(report.failed), "followers": followers}

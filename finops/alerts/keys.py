"""Runaway API keys: anomalies per key (scope ``api_key:<id>``) and keys that spend again after 28 quiet days.

A key's daily spend is judged with the team and model series' baseline, rule, fire-once identity and
delivery (:func:`finops.alerts.anomalies.judge`). Besides, a key with no spend in the 28 days before a day
(a new key, or one revived) that spends at least ``finops_anomaly_min_amount`` that day is flagged, whatever
its history, once the team's keys have 28 days of spend before it (the first days collected are no news).
Messages name the key's name, redacted value, owner and project.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from finops import paths
from finops.alerts.anomalies import BASELINE_DAYS, SPIKE, Baseline, Judgement, judge
from finops.alerts.evaluate import SeriesKey, Verdict, money
from finops.alerts.forecast import settled_before
from finops.alerts.models import SPEND_ANOMALY, Alert
from finops.alerts.rules import AlertRules
from finops.money import ZERO, add
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

QUIET_DAYS = BASELINE_DAYS


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a message says about a key (unknown fields as the report shows them)."""

    name: str | None
    redacted_value: str | None
    owner: str | None
    project_id: str | None

    def describe(self, api_key_id: str) -> str:
        name = self.name or api_key_id
        parts = [self.redacted_value or api_key_id, f"owner {self.owner or 'unknown'}",
                 f"project {self.project_id or 'unknown'}"]
        return f"API key {name} ({', '.join(parts)})"


@dataclass(slots=True)
class KeySeries:
    """One key's daily spend and what names it."""

    info: KeyInfo
    daily: dict[date, Decimal]


def load_key_spend(start: date, end: date, team_ids: Sequence[str] | None = None,
                   conn_id: str = FINOPS_DB_CONN_ID) -> dict[SeriesKey, KeySeries]:
    """Per (team, provider, ``api_key:<id>``, currency): the key's daily spend on [start, end)."""
    params = {"start_date": start, "end_date": end, "team_ids": list(team_ids) if team_ids is not None else None}
    with connect(conn_id) as conn:
        rows = conn.execute(paths.sql("alerts/spend_daily_keys"), params).fetchall()
    out: dict[SeriesKey, KeySeries] = {}
    for team_id, provider, key_id, currency, day, amount, name, redacted, owner, project in rows:
        series = out.setdefault((team_id, provider, f"api_key:{key_id}", currency),
                                KeySeries(KeyInfo(name, redacted, owner, project), {}))
        series.daily[day] = add(series.daily.get(day, ZERO), amount)
    return out


def quiet_before(daily: dict[date, Decimal], day: date, days: int = QUIET_DAYS) -> bool:
    """Whether the key spent nothing in the ``days`` days before ``day``."""
    return not any(daily.get(day - timedelta(days=n)) for n in range(1, days + 1))


def judge_keys(spend: dict[SeriesKey, KeySeries], days: Iterable[date], as_of: date, rules: AlertRules,
               judged: Collection[tuple[SeriesKey, date]] = frozenset()) -> list[Verdict]:
    """Judge ``days`` of every key series (each settled day once), spikes and quiet keys waking up alike."""
    days = sorted(set(days))
    boundary = settled_before(as_of, rules.lookback_days)
    team_first: dict[str, date] = {}
    for (team_id, *_), series in spend.items():
        first = min((d for d, v in series.daily.items() if v), default=None)
        if first is not None:
            team_first[team_id] = min(first, team_first.get(team_id, first))
    verdicts: list[Verdict] = []
    for key, series in sorted(spend.items()):
        daily = series.daily
        todo = [d for d in days if daily.get(d) and (d >= boundary or (key, d) not in judged)]
        if not todo:
            continue
        first = min(d for d, v in daily.items() if v)
        for verdict in judge(daily, todo, as_of=as_of, lookback_days=rules.lookback_days, rule=rules.anomaly,
                             provisional=rules.anomaly_provisional, first_day=first):
            woke = (verdict.value >= rules.anomaly.min_amount and quiet_before(daily, verdict.day)
                    and team_first[key[0]] <= verdict.day - timedelta(days=QUIET_DAYS))
            if woke:
                verdict = Judgement(verdict.day, verdict.value, SPIKE, ZERO, Baseline(ZERO, ZERO, QUIET_DAYS),
                                    verdict.provisional)
            alert = _alert(key, series.info, verdict, woke) if verdict.outcome == SPIKE else None
            verdicts.append(Verdict(series=key, judgement=verdict, alert=alert))
    return verdicts


def _alert(key: SeriesKey, info: KeyInfo, verdict: Judgement, woke: bool) -> Alert:
    team_id, provider, scope, currency = key
    what = info.describe(scope.removeprefix("api_key:"))
    note = " (provisional: the day is not settled yet and may still change)" if verdict.provisional else ""
    if woke:
        why = f"after no spend in the previous {QUIET_DAYS} days (a new or revived key)"
    else:
        base = verdict.baseline
        median = base.median if base else ZERO
        ratio = f"{(verdict.value / median).quantize(Decimal('0.1'))}x" if median > 0 else "far above"
        why = (f"{ratio} its typical day (median {money(median, currency)} over the previous "
               f"{base.days if base else 0} settled days)")
    summary = (f"{what} of team {team_id} ({provider}) spent {money(verdict.value, currency)} on {verdict.day}"
               f"{note}, {why}")
    return Alert(kind=SPEND_ANOMALY, team_id=team_id, provider=provider, scope=scope, period=verdict.day.isoformat(),
                 threshold=None, value=verdict.value, currency=currency,
                 baseline=verdict.baseline.median if verdict.baseline else None, summary=summary,
                 message=f"{summary}.", provisional=verdict.provisional)

"""Detection quality of spend anomalies and accuracy of month-end forecasts on a simulated year.

Teams have a typical day (log-uniform), weekly seasonality, noise, busy days (not spikes), a slow
trend, some a lasting level shift, some start mid-year; spikes are injected at 3x to 6x the typical
day. ``ordinary`` noise is the target's; ``harsh`` noise shows where the rule gives way. A day that
noise alone lifts to a spike (3x the typical day and the minimum amount above it) is counted as an
organic spike, neither a miss nor a false alert. Every team-day
is judged as the alerts DAG would judge it once settled; the rule's variables are swept.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from finops.bench import Measurement, verdict

if TYPE_CHECKING:
    from finops.simulator.config import Scenario

Log = Callable[[str], None]
YEAR_START = date(2025, 1, 1)
YEAR_DAYS = 365
WARM_UP_DAYS = 35
SPIKES_PER_DAY = 1 / 30
SPIKE_FACTORS = (3.0, 6.0)
#: noise -> (range of the log-normal sigma per team, share of busy days, range of a busy day's factor)
NOISE = {"ordinary": ((0.05, 0.25), 0.03, (1.2, 1.8)), "harsh": ((0.05, 0.35), 0.05, (1.5, 2.5))}
RECALL_TARGET = 0.95
FALSE_PER_1000_TARGET = 1.0
FACTORS = ("2", "2.5", "3")
MAD_ZS = (Decimal(0), Decimal(3), Decimal(5))
EVALUATE_TEAMS = 1000
MIN_AMOUNTS = ("25", "50", "100")
FORECAST_DAYS = (7, 14, 21)
CENT = Decimal("0.000001")


@dataclass
class SimTeam:
    """One simulated team: its daily spend and the days (with typical day) where a spike was injected."""

    team_id: str
    start: date
    daily: dict[date, Decimal] = field(default_factory=dict)
    spikes: dict[date, Decimal] = field(default_factory=dict)  # day -> the typical day it was injected over
    ordinary: dict[date, Decimal] = field(default_factory=dict)  # spike day -> what the day would have been
    level: dict[date, float] = field(default_factory=dict)  # the typical (weekday) spend of each day

    def without_spikes(self) -> dict[date, Decimal]:
        return {**self.daily, **self.ordinary}


def team_scenario(rng: random.Random, noise: str = "ordinary") -> Scenario:
    """One team's spend story drawn from ``rng``: the simulator's scenario, so the bench and the simulator agree."""
    from finops.simulator.config import Scenario

    sigmas, busy_days, busy_factors = NOISE[noise]
    first = YEAR_START - timedelta(days=WARM_UP_DAYS)
    total_days = WARM_UP_DAYS + YEAR_DAYS
    typical = math.exp(rng.uniform(math.log(2), math.log(3000)))
    weekend = rng.uniform(0.2, 1.0)
    sigma = rng.uniform(*sigmas)
    growth = rng.uniform(0.7, 2.0)
    shift_day = first + timedelta(days=rng.randrange(total_days)) if rng.random() < 0.2 else None
    shift = rng.uniform(1.3, 1.8)
    start = first + timedelta(days=rng.randrange(60, YEAR_DAYS - 60)) if rng.random() < 0.1 else None
    return Scenario(origin=first, typical=typical, weekend_factor=weekend, noise_sigma=sigma, busy_share=busy_days,
                    busy_factors=busy_factors, growth=growth, growth_days=total_days, shift_day=shift_day,
                    shift_factor=shift, start=start, spike_share=SPIKES_PER_DAY, spike_factors=SPIKE_FACTORS)


def simulate(teams: int, seed: int, noise: str = "ordinary") -> list[SimTeam]:
    """A year (plus a warm-up) of daily spend for ``teams`` teams, reproducible from ``seed``.

    Each team is a :class:`finops.simulator.config.Scenario` (random knobs from ``seed``); its days come
    from :func:`finops.simulator.scenarios.scenario_series`, what the simulator serves for that scenario.
    """
    from finops.simulator.scenarios import scenario_series

    rng = random.Random(seed)
    first = YEAR_START - timedelta(days=WARM_UP_DAYS)
    end = YEAR_START + timedelta(days=YEAR_DAYS)
    out = []
    for n in range(teams):
        scenario = team_scenario(rng, noise)
        team = SimTeam(f"team{n:04d}", scenario.start or first)
        for d in scenario_series(scenario, seed * 100_003 + n, team.start, end):
            team.level[d.day] = d.level
            if d.spike:
                team.ordinary[d.day] = d.ordinary
                team.spikes[d.day] = Decimal(repr(d.level)).quantize(CENT)
            team.daily[d.day] = d.amount
        out.append(team)
    return out


@dataclass
class Confusion:
    caught: int = 0
    spikes: int = 0
    false_alerts: int = 0
    team_days: int = 0
    new_team_alerts: int = 0
    organic: int = 0
    organic_flagged: int = 0

    @property
    def recall(self) -> float:
        return self.caught / self.spikes if self.spikes else 1.0

    @property
    def false_per_1000(self) -> float:
        return 1000 * self.false_alerts / self.team_days if self.team_days else 0.0


def judge(teams: list[SimTeam], rules: list, log: Log) -> tuple[list[Confusion], float]:
    """Confusion counts of each rule over every team-day of the year; the seconds the baselines took."""
    from finops.alerts.anomalies import baseline, is_anomalous

    counts = [Confusion() for _ in rules]
    started = time.perf_counter()
    for team in teams:
        first = min(team.daily)
        for k in range(YEAR_DAYS):
            day = YEAR_START + timedelta(days=k)
            if day < team.start:
                continue
            base = baseline(team.daily, day, first_day=first, before=day)  # earlier days are all settled
            value = team.daily.get(day, Decimal(0))
            for rule, count in zip(rules, counts, strict=True):
                count.team_days += 1
                flagged = base is not None and is_anomalous(value, base, rule)
                typical = team.spikes.get(day)
                if typical is not None:
                    if value - typical >= rule.min_amount:  # a spike the rule must catch
                        count.spikes += 1
                        count.caught += flagged
                elif value >= 3 * Decimal(team.level[day]) and value - Decimal(team.level[day]) >= rule.min_amount:
                    count.organic += 1
                    count.organic_flagged += flagged
                elif flagged:
                    count.false_alerts += 1
                    count.new_team_alerts += day < team.start + timedelta(days=28)
    return counts, time.perf_counter() - started


def forecast_errors(teams: list[SimTeam], method: str, spikes: bool = True) -> list[float]:
    """Absolute error of the month-end projection, relative to the month's actual, for each forecast made."""
    from finops.alerts.forecast import forecast_month
    from finops.alerts.models import next_month

    errors = []
    for team in teams:
        daily = team.daily if spikes else team.without_spikes()
        month = date(YEAR_START.year, 2, 1)
        while month.year == YEAR_START.year:
            end = next_month(month)
            actual = sum((v for d, v in daily.items() if month <= d < end), Decimal(0))
            for day in FORECAST_DAYS:
                as_of = month + timedelta(days=day)
                fc = forecast_month(daily, month, as_of, lookback_days=2, method=method, first_day=min(daily))
                if fc.projected is not None and actual > 0:  # forecast_month reads no day from as_of on
                    errors.append(float(abs(fc.projected - actual) / actual))
            month = end
    return errors


def _evaluate_speed(teams: int, seed: int, log: Log) -> Measurement:
    """``evaluate`` on a month of spend and a budget per team, as the alerts DAG will call it (no database)."""
    from finops.alerts.evaluate import evaluate, spend_window
    from finops.alerts.models import Budget, DailySpend
    from finops.alerts.rules import AlertRules

    rules = AlertRules()
    as_of = date(YEAR_START.year, 12, 16)
    months = [date(YEAR_START.year, 11, 1), date(YEAR_START.year, 12, 1)]
    start, end = spend_window(as_of, months, [as_of - timedelta(days=3)], rules)
    spend, budgets = [], []
    for n, team in enumerate(simulate(teams, seed)):
        budgets.append(Budget(n, team.team_id, None, None, date(YEAR_START.year, 1, 1),
                              Decimal(30) * Decimal(team.level[max(team.level)]).quantize(Decimal(1)), "usd", (50, 80, 100)))
        spend += [DailySpend(team.team_id, "openai", "proj_bench", d, "usd", v, "gpt-4o")
                  for d, v in team.daily.items() if start <= d < end]
    started = time.perf_counter()
    alerts = evaluate(spend, budgets, as_of=as_of, rules=rules, months=months)
    seconds = time.perf_counter() - started
    log(f"alerts: evaluate over {teams} teams: {len(alerts)} alerts in {seconds:.1f} s")
    return Measurement(f"alerts: evaluate() for {teams:,} teams, 2 months, per team and model (no database)",
                       f"{seconds:.1f} s ({len(spend):,} spend rows, {len(alerts)} alerts)", "60 s (whole DAG)",
                       seconds / 60, "< 60 s (DAG, phase 2)", "info")


def _harsh_also():
    from finops.alerts.anomalies import AnomalyRule

    return [AnomalyRule(Decimal("2.5"), Decimal(50)), AnomalyRule(Decimal(3), Decimal(50), mad_z=Decimal(7))]


def case_alerts(env, args: argparse.Namespace, log: Log) -> list[Measurement]:
    from finops.alerts.anomalies import DEFAULT_FACTOR, DEFAULT_MIN_AMOUNT, AnomalyRule
    from finops.alerts.forecast import DEFAULT_METHOD

    default = AnomalyRule(DEFAULT_FACTOR, DEFAULT_MIN_AMOUNT)
    grid = [AnomalyRule(Decimal(f), Decimal(m), mad_z=z) for z in MAD_ZS for f in FACTORS for m in MIN_AMOUNTS]
    rows = []
    for noise in NOISE:
        teams = simulate(args.alert_teams, args.seed, noise)
        log(f"alerts: {noise} noise: {len(teams)} teams, {sum(len(t.daily) for t in teams):,} team-days, "
            f"{sum(len(t.spikes) for t in teams):,} spikes injected (seed {args.seed})")
        rules = grid if noise == "ordinary" else [default, *_harsh_also()]
        counts, seconds = judge(teams, rules, log)
        for rule, count in zip(rules, counts, strict=True):
            is_default = rule == default
            met = count.recall >= RECALL_TARGET and count.false_per_1000 <= FALSE_PER_1000_TARGET
            name = (f"alerts ({noise}): factor {rule.factor}, min {rule.min_amount}, MAD z {rule.mad_z}"
                    + (" (default)" if is_default else ""))
            rows.append(Measurement(
                name,
                f"recall {100 * count.recall:.1f} % ({count.caught}/{count.spikes}); false "
                f"{count.false_per_1000:.2f}/1,000 team-days ({count.false_alerts}/{count.team_days:,}; "
                f"new teams {count.new_team_alerts}); organic spikes {count.organic_flagged}/{count.organic}",
                target=">= 95 %, <= 1",
                verdict=verdict(met) if is_default and noise == "ordinary" else ("meets" if met else "misses"),
            ))
        rows.append(Measurement(f"alerts ({noise}): baselines of every team-day (median + MAD, 28 days)",
                                f"{seconds:.1f} s for {counts[0].team_days:,} team-days x {len(counts)} rules"))
    rows.append(_evaluate_speed(EVALUATE_TEAMS, args.seed, log))
    teams = simulate(args.alert_teams, args.seed)
    for method, spikes in (("flat", True), ("weekday", True), ("flat", False), ("weekday", False)):
        started = time.perf_counter()
        errors = sorted(forecast_errors(teams, method, spikes))
        mean, median_error = sum(errors) / len(errors), errors[len(errors) // 2]
        p90 = errors[int(len(errors) * 0.9)]
        rows.append(Measurement(
            f"alerts: forecast error, {method}" + (" (default)" if method == DEFAULT_METHOD else "")
            + ("" if spikes else ", spikes left out"),
            f"mean {100 * mean:.2f} %, median {100 * median_error:.2f} %, p90 {100 * p90:.2f} % "
            f"({len(errors):,} forecasts on days {','.join(map(str, FORECAST_DAYS))}; "
            f"{time.perf_counter() - started:.1f} s)",
        ))
    return rows

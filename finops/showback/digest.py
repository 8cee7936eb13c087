"""The weekly digest of a team: the last 7 settled days against the 7 before, month to date against budget with
the forecast, the largest increases by model and project, the week's alerts and how final the figures are.

``compute`` is pure (hand-built rows in, a :class:`Digest` out); ``load`` reads the rows for a team and day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from finops import paths
from finops.money import ZERO, exact_sum, plain, subtract
from finops.showback.figures import by_currency, money, totals_text
from finops.warehouse.db import FINOPS_DB_CONN_ID, connect

DAYS = 7
TOP = 5


@dataclass(frozen=True, slots=True)
class SpendRow:
    """One group of the two weeks' spend (``current``: the later week)."""

    current: bool
    provider: str
    project_id: str
    model: str
    currency: str
    amount: Decimal
    #: The project's (workspace's) registered name, when it has one.
    project_name: str | None = None

    @property
    def project_label(self) -> str:
        """``Name (id)``, or the id alone when the project has no name."""
        return project_label(self.project_id, self.project_name)


def project_label(project_id: str, name: str | None) -> str:
    return f"{name} ({project_id})" if name and name != project_id else project_id


@dataclass(frozen=True, slots=True)
class Increase:
    dimension: str  # model or project
    name: str
    currency: str
    previous: Decimal
    current: Decimal

    @property
    def change(self) -> Decimal:
        return subtract(self.current, self.previous)


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """A budget in force with the month to date and the projected month end (None: too little history)."""

    scope: str
    amount: Decimal
    currency: str
    actual: Decimal
    projected: Decimal | None
    runs_out_on: date | None


@dataclass
class Digest:
    team_id: str
    week: str  # ISO week of as_of, e.g. 2026-W50: the digest's identity
    as_of: date
    current_start: date
    current_end: date  # exclusive: the first day not settled
    previous_start: date
    current: dict[str, Decimal]
    previous: dict[str, Decimal]
    increases: list[Increase]
    month_to_date: dict[str, Decimal] = field(default_factory=dict)
    budgets: list[BudgetLine] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    provisional_days: int = 0
    missing_days: list[date] = field(default_factory=list)
    link: str = ""
    team_name: str | None = None

    @property
    def team_label(self) -> str:
        return f"{self.team_name} ({self.team_id})" if self.team_name and self.team_name != self.team_id \
            else self.team_id

    @property
    def has_spend(self) -> bool:
        return any(self.current.values()) or any(self.previous.values())

    def finality(self) -> str:
        """How final the figures are: settled through which day, what is provisional, what is missing."""
        last = self.current_end - timedelta(days=1)
        text = f"settled through {last}"
        if self.provisional_days:
            text += f"; {self.provisional_days} later day(s) are provisional and not in these weeks"
        if self.missing_days:
            text += (f"; {len(self.missing_days)} day(s) of these weeks have no successful collection "
                     f"({', '.join(str(d) for d in self.missing_days[:5])}) and may be incomplete")
        return text

    def message(self) -> str:
        """The digest as plain text (Slack, the webhook's `text`, the e-mail body)."""
        start, last = self.current_start, self.current_end - timedelta(days=1)
        lines = [f"Team {self.team_label}, weekly digest {self.week}: {totals_text(self.current)} from {start} to {last}"
                 f" (previous 7 days: {totals_text(self.previous)}{_change_text(self.current, self.previous)})."]
        if self.month_to_date:
            lines.append(f"Month to date ({self.as_of:%Y-%m}, through {self.as_of - timedelta(days=1)}): "
                         f"{totals_text(self.month_to_date)}.")
        for b in self.budgets:
            share = f"{(b.actual * 100 / b.amount):.0f} %" if b.amount else "-"
            projected = (f"; forecast {money(b.projected, b.currency)} at month end"
                         + (f", runs out on {b.runs_out_on}" if b.runs_out_on else "")) if b.projected is not None \
                else "; no forecast yet (under 7 settled days)"
            lines.append(f"Budget ({b.scope}): {money(b.actual, b.currency)} of {money(b.amount, b.currency)} "
                         f"({share}){projected}.")
        if self.increases:
            lines.append("Largest increases: " + "; ".join(
                f"{i.dimension} {i.name} +{money(i.change, i.currency)} ({money(i.previous, i.currency)} -> "
                f"{money(i.current, i.currency)})" for i in self.increases) + ".")
        lines.append(f"Alerts this week: {len(self.alerts)}" + (": " + " | ".join(a.rstrip(".") for a in self.alerts[:10]) if self.alerts
                                                                 else "") + ".")
        lines.append(f"Figures: {self.finality()}.")
        if self.link:
            lines.append(f"Team page: {self.link}")
        return "\n".join(lines)

    def details(self) -> dict[str, Any]:
        """Facts for the webhook's JSON body (exact amounts as text)."""
        return {
            "week": self.week, "current_start": str(self.current_start), "current_end": str(self.current_end),
            "current_last": str(self.current_end - timedelta(days=1)),
            "current": {c: plain(a) for c, a in self.current.items()},
            "previous": {c: plain(a) for c, a in self.previous.items()},
            "month_to_date": {c: plain(a) for c, a in self.month_to_date.items()},
            "increases": [{"dimension": i.dimension, "name": i.name, "currency": i.currency,
                           "previous": plain(i.previous), "current": plain(i.current)} for i in self.increases],
            "alerts": len(self.alerts), "finality": self.finality(), "link": self.link,
        }


def _change_text(current: dict[str, Decimal], previous: dict[str, Decimal]) -> str:
    parts = []
    for currency in sorted(set(current) | set(previous)):
        change = subtract(current.get(currency, ZERO), previous.get(currency, ZERO))
        sign = "+" if change >= 0 else "-"
        parts.append(f"{sign}{money(abs(change), currency)}")
    return f", change {', '.join(parts)}" if parts else ""


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def windows(as_of: date, lookback_days: int) -> tuple[date, date, date]:
    """(previous_start, current_start, current_end): the last 7 settled days before ``as_of`` and the 7 before."""
    current_end = as_of - timedelta(days=lookback_days)
    return current_end - timedelta(days=2 * DAYS), current_end - timedelta(days=DAYS), current_end


def largest_increases(rows: list[SpendRow], top: int = TOP) -> list[Increase]:
    """The groups (by model, by project) whose spend grew most from the previous week to the current one."""
    sums: dict[tuple[str, str, str], list[list[Decimal]]] = defaultdict(lambda: [[], []])
    for row in rows:
        for dimension, name in (("model", row.model), ("project", row.project_label)):
            sums[(dimension, name, row.currency)][1 if row.current else 0].append(row.amount)
    found = [Increase(d, n, c, exact_sum(p), exact_sum(q)) for (d, n, c), (p, q) in sums.items()]
    found = [i for i in found if i.change > 0]
    return sorted(found, key=lambda i: (-i.change, i.dimension, i.name))[:top]


def compute(team_id: str, as_of: date, lookback_days: int, rows: list[SpendRow], *,
            month_to_date: dict[str, Decimal] | None = None, budgets: list[BudgetLine] | None = None,
            alerts: list[str] | None = None, collected_days: set[date] | None = None, link: str = "",
            team_name: str | None = None) -> Digest:
    """The digest from its rows (pure)."""
    previous_start, current_start, current_end = windows(as_of, lookback_days)
    days = {previous_start + timedelta(days=n) for n in range(2 * DAYS)}
    missing = sorted(days - collected_days) if collected_days is not None else []
    return Digest(
        team_id=team_id, week=iso_week(as_of), as_of=as_of, current_start=current_start, current_end=current_end,
        previous_start=previous_start,
        current=by_currency((r.currency, r.amount) for r in rows if r.current),
        previous=by_currency((r.currency, r.amount) for r in rows if not r.current),
        increases=largest_increases(rows), month_to_date=month_to_date or {}, budgets=budgets or [],
        alerts=alerts or [], provisional_days=lookback_days, missing_days=missing, link=link, team_name=team_name)


def teams_with_spend(as_of: date, lookback_days: int, team_ids: list[str] | None = None,
                     conn_id: str = FINOPS_DB_CONN_ID) -> list[str]:
    """Active teams with spend in the digest's two weeks (the others get no digest)."""
    previous_start, _, current_end = windows(as_of, lookback_days)
    with connect(conn_id) as conn:
        return [r[0] for r in conn.execute(paths.sql("showback/teams_with_spend"), {
            "start": previous_start, "end": current_end, "team_ids": team_ids})]


def budget_lines(as_of: date, team_id: str, conn_id: str = FINOPS_DB_CONN_ID,
                 project_names: dict[tuple[str, str], str] | None = None) -> list[BudgetLine]:
    """The team's budgets in force in ``as_of``'s month with month to date and forecast, as the alerts DAG sees them.

    ``project_names`` ((provider, project) -> name) names a project budget's scope.
    """
    from finops.analytics.budget_status import budget_panel

    names = project_names or {}
    panel = budget_panel(as_of, team_id=team_id, conn_id=conn_id)
    lines = []
    for status in panel.statuses:
        b = status.budget
        project = project_label(b.project_id, names.get((b.provider or "openai", b.project_id))) if b.project_id \
            else None
        scope = "all providers" if not (b.provider or b.project_id) else (f"project {project}" if project
                                                                          else b.provider)
        lines.append(BudgetLine(scope=scope, amount=status.amount, currency=b.currency,
                                actual=status.forecast.actual, projected=status.forecast.projected,
                                runs_out_on=status.forecast.runs_out_on))
    return lines


def load(team_id: str, as_of: date, lookback_days: int, conn_id: str = FINOPS_DB_CONN_ID) -> Digest:
    """Read the team's two weeks, month to date, budgets, alerts and collections, and compute its digest."""
    from finops.showback.delivery import team_link

    previous_start, current_start, current_end = windows(as_of, lookback_days)
    month_start = as_of.replace(day=1) if as_of.day > 1 else (as_of - timedelta(days=1)).replace(day=1)
    with connect(conn_id) as conn:
        rows = [SpendRow(*r) for r in conn.execute(paths.sql("showback/digest_spend"), {
            "team_id": team_id, "previous_start": previous_start, "current_start": current_start,
            "end": current_end})]
        mtd = by_currency(conn.execute(paths.sql("showback/month_to_date"), {
            "team_id": team_id, "start": month_start, "end": as_of}).fetchall())
        start = datetime.combine(as_of - timedelta(days=DAYS), datetime.min.time(), UTC)
        alerts = [m for _, m, _ in conn.execute(paths.sql("showback/digest_alerts"), {
            "team_id": team_id, "start": start, "end": start + timedelta(days=DAYS)})]
        collected = {r[0] for r in conn.execute(paths.sql("showback/days_collected"), {
            "team_id": team_id, "start": previous_start, "end": current_end})}
        named = conn.execute(paths.sql("showback/team_name"), {"team_id": team_id}).fetchone()
        project_names = {(provider, pid): name for provider, pid, name in conn.execute(
            paths.sql("showback/project_names"), {"team_id": team_id})}
    budgets = budget_lines(as_of, team_id, conn_id, project_names)
    return compute(team_id, as_of, lookback_days, rows, month_to_date=mtd, budgets=budgets, alerts=alerts,
                   collected_days=collected, link=team_link(team_id), team_name=named[0] if named else None)

"""A team's monthly statement: its lines (provider, project, model, token kind, day, amount, currency), totals
by provider, project and model, the daily series, budget against actual, and, for an amended statement, each
line that changed since the version before. Pure: the loader (``finops.showback.statements``) supplies the rows.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from finops.money import ZERO, exact_sum, plain, subtract
from finops.showback.figures import by_currency

CSV_COLUMNS = ("provider", "project", "model", "token_kind", "day", "amount", "currency")


@dataclass(frozen=True, slots=True)
class Line:
    provider: str
    project_id: str
    model: str
    token_kind: str
    usage_date: date
    currency: str
    amount: Decimal

    @property
    def key(self) -> tuple[str, str, str, str, date, str]:
        return (self.provider, self.project_id, self.model, self.token_kind, self.usage_date, self.currency)


@dataclass(frozen=True, slots=True)
class Change:
    """A line whose amount differs from the previous version (None: the line was not there)."""

    key: tuple[str, str, str, str, date, str]
    old: Decimal | None
    new: Decimal | None

    @property
    def difference(self) -> Decimal:
        return subtract(self.new or ZERO, self.old or ZERO)


@dataclass(frozen=True, slots=True)
class BudgetActual:
    scope: str
    currency: str
    budget: Decimal
    actual: Decimal

    @property
    def share(self) -> Decimal:
        """Whole percent of the budget spent, rounded down (a division: outside the exact context, on purpose)."""
        return (self.actual * 100 / self.budget).to_integral_value(rounding="ROUND_FLOOR") if self.budget else ZERO


@dataclass
class Statement:
    team_id: str
    team_name: str
    month: date  # first day
    version: int
    lines: list[Line]
    issued_at: datetime
    budgets: list[BudgetActual] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def amended(self) -> bool:
        return self.version > 1

    @property
    def totals(self) -> dict[str, Decimal]:
        return by_currency((line.currency, line.amount) for line in self.lines)

    def grouped(self, dimension: str) -> list[tuple[str, str, Decimal]]:
        """(name, currency, total) by ``provider``, ``project_id`` or ``model``, largest first."""
        groups: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
        for line in self.lines:
            groups[(getattr(line, dimension), line.currency)].append(line.amount)
        found = [(n, c, exact_sum(a)) for (n, c), a in groups.items()]
        return sorted(found, key=lambda g: (g[1], -g[2], g[0]))

    def daily(self) -> dict[str, list[tuple[date, Decimal]]]:
        """Each currency's total per day of the month (days without spend at zero)."""
        end = (self.month.replace(day=28) + timedelta(days=4)).replace(day=1)
        days = [self.month + timedelta(days=n) for n in range((end - self.month).days)]
        sums: dict[tuple[str, date], list[Decimal]] = defaultdict(list)
        for line in self.lines:
            sums[(line.currency, line.usage_date)].append(line.amount)
        return {c: [(d, exact_sum(sums.get((c, d), []))) for d in days] for c in sorted({li.currency for li in self.lines})}

    def file_stem(self) -> str:
        return f"statement-{self.team_id}-{self.label}-v{self.version}"

    def folder(self) -> str:
        return f"team={self.team_id}/month={self.label}"


def changes_between(old: Iterable[Line], new: Iterable[Line]) -> list[Change]:
    """Every line added, removed or changed in amount from ``old`` to ``new``, in line order."""
    before = {line.key: line.amount for line in old}
    after = {line.key: line.amount for line in new}
    return [Change(key, before.get(key), after.get(key)) for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)]


def budget_vs_actual(budgets: Iterable, lines: list[Line]) -> list[BudgetActual]:
    """Each budget in force for the month (``finops.alerts.models.Budget``) against the lines in its scope."""
    found = []
    for b in budgets:
        if b.amount is None:
            continue
        actual = exact_sum(li.amount for li in lines if li.currency == b.currency
                           and (b.provider is None or li.provider == b.provider)
                           and (b.project_id is None or li.project_id == b.project_id))
        scope = f"project {b.project_id}" if b.project_id else (b.provider or "all providers")
        found.append(BudgetActual(scope=scope, currency=b.currency, budget=b.amount, actual=actual))
    return found


def csv_bytes(statement: Statement) -> bytes:
    """The statement's lines as CSV (exact amounts, ISO days), the same lines as the HTML table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for li in statement.lines:
        writer.writerow([li.provider, li.project_id, li.model, li.token_kind, li.usage_date.isoformat(),
                         plain(li.amount), li.currency])
    return out.getvalue().encode()


def read_csv_totals(data: bytes) -> dict[str, Decimal]:
    """Totals per currency of a statement CSV, read back from its bytes (the check before publishing)."""
    reader = csv.DictReader(io.StringIO(data.decode()))
    return by_currency((row["currency"], Decimal(row["amount"])) for row in reader)


def message(statement: Statement, html_uri: str, csv_uri: str, link: str = "") -> str:
    """The delivery's text: the totals, where the files are and, for an amendment, what changed."""
    from finops.showback.figures import totals_text

    head = (f"Team {statement.team_id}'s statement for {statement.label}" if not statement.amended else
            f"AMENDED statement for team {statement.team_id}, {statement.label}, version {statement.version}: it "
            f"replaces version {statement.version - 1} because {len(statement.changes)} line(s) changed after it "
            "was issued")
    lines = [f"{head}: total {totals_text(statement.totals)}."]
    for ch in statement.changes[:20]:
        provider, project, model, kind, day, currency = ch.key
        lines.append(f"  changed: {day} {provider} {project} {model} {kind}: "
                     f"{plain(ch.old) if ch.old is not None else 'none'} -> "
                     f"{plain(ch.new) if ch.new is not None else 'none'} {currency}")
    if len(statement.changes) > 20:
        lines.append(f"  ... and {len(statement.changes) - 20} more line(s), listed in the statement.")
    lines.append(f"Statement: {html_uri}")
    lines.append(f"Lines (CSV): {csv_uri}")
    if link:
        lines.append(f"Team page: {link}")
    return "\n".join(lines)

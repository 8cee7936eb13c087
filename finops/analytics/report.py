"""Spend reports: exact totals over a period grouped by team, provider, project, model, token kind or day.

One query answers ``finops report``, the page's CSV download and the page's panels; it reads the smallest
rollup that holds every asked column. Output columns follow PRODUCT.md: the asked ones in the order
``team_id, provider, project_id, model, token_kind, usage_date``, then ``currency``, ``amount``.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.errors import FinopsError, UsageError
from finops.money import exact, plain

if TYPE_CHECKING:
    import psycopg

#: ``--by`` name -> output column, in output order.
DIMENSIONS = {"team": "team_id", "provider": "provider", "project": "project_id", "model": "model",
              "token_kind": "token_kind", "day": "usage_date"}
FORMATS = ("table", "csv", "json")
UNATTRIBUTED_PROJECT = "unassigned"

#: Columns the page groups by besides the public ones.
INTERNAL_COLUMNS = ("tier", "cost_kind")

#: Schema of the rollup tables (the bench points it at views that GROUP BY cost_data, to compare).
ROLLUP_SCHEMA = "finops"
#: Period totals of spend_project_daily read through spend_project_monthly (the bench turns it off with the views).
MONTHLY = True

#: Rollup tables, smallest first, with the output columns each can group by.
_TABLES = (
    ("spend_model_daily", {"provider", "model", "token_kind", "usage_date", *INTERNAL_COLUMNS}),
    ("spend_project_daily", {"team_id", "provider", "project_id", "usage_date"}),
    ("spend_daily", {*DIMENSIONS.values(), *INTERNAL_COLUMNS}),
)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class UnknownTeam(FinopsError):
    """A report was asked for a team that is not registered."""


@dataclass(frozen=True, slots=True)
class Period:
    """UTC days ``[start, end)``."""

    start: date
    end: date

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def __str__(self) -> str:
        return self.start.isoformat() if self.start == self.last else f"{self.start}..{self.last}"


def month_period(text: str) -> Period:
    """``YYYY-MM`` -> the whole month."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise UsageError(f"The month {text!r} is not in the form YYYY-MM; pass e.g. --month 2026-11.")
    year, month = int(match[1]), int(match[2])
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]) + timedelta(days=1))


def day_range(start: str, end: str) -> Period:
    """``--from D --to D``, both days included."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise UsageError(f"The dates {start!r} and {end!r} must be YYYY-MM-DD; pass e.g. --from 2026-11-01 "
                         f"--to 2026-11-30.") from None
    if last < first:
        raise UsageError(f"--to {last} is before --from {first}; swap them.")
    return Period(first, last + timedelta(days=1))


def parse_by(text: str) -> tuple[str, ...]:
    """``team,model`` -> the output columns, in PRODUCT order, each once."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DIMENSIONS]
    if unknown or not names:
        raise UsageError(f"--by takes a comma-separated list of {', '.join(DIMENSIONS)}; "
                         f"{', '.join(unknown) or 'nothing'} is not one of them.")
    return tuple(column for name, column in DIMENSIONS.items() if name in names)


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One group: its column values (in ``columns`` order), currency, exact amount and number of cost rows."""

    values: tuple[Any, ...]
    currency: str
    amount: Decimal
    cost_rows: int


@dataclass(frozen=True)
class Report:
    """A report's rows and, per currency, the exact total."""

    period: Period
    columns: tuple[str, ...]
    rows: list[ReportRow]
    provider: str | None = None
    team_id: str | None = None
    #: Project and workspace names by ID: with ``project_id`` among the columns, a ``project_name`` column follows it.
    project_names: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        """The output columns: the asked ones (``project_name`` after ``project_id``), then currency and amount."""
        out = []
        for column in self.columns:
            out += [column, "project_name"] if column == "project_id" else [column]
        return [*out, "currency", "amount"]

    @property
    def totals(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        with exact():
            for row in self.rows:
                totals[row.currency] += row.amount
        return dict(sorted(totals.items()))

    def records(self) -> list[dict[str, Any]]:
        """Rows as ordered dicts (dates ISO, amounts exact strings) for CSV and JSON."""
        out = []
        for row in self.rows:
            record = {}
            for c, v in zip(self.columns, row.values, strict=True):
                record[c] = v.isoformat() if isinstance(v, date) else v
                if c == "project_id":
                    record["project_name"] = self.project_names.get(v)
            record["currency"] = row.currency
            record["amount"] = plain(row.amount)
            out.append(record)
        return out



def pick_table(columns: tuple[str, ...], team_id: str | None, teams: list[str] | None = None) -> str:
    """The smallest rollup that can answer: the all-teams model rollup cannot filter by team."""
    needed = set(columns) | ({"team_id"} if team_id or teams is not None else set())
    return next(name for name, has in _TABLES if needed <= has)


def prepare_reading(conn: psycopg.Connection) -> None:
    """Settings for the analytics reads of the current transaction (see reading_settings.sql)."""
    conn.execute(paths.sql("analytics/reading_settings"))


@dataclass(frozen=True)
class MonthlyPlan:
    """A period as whole months of spend_project_monthly plus (sign +1) or minus (-1) ranges of daily rows."""

    months: list[date]
    ranges: list[tuple[date, date, int]]


def _month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, first + timedelta(days=calendar.monthrange(first.year, first.month)[1])


def _days(start: date, end: date, last_day: date) -> int:
    """Days of ``[start, end)`` that can hold rows (none after the last day with data)."""
    return max(0, (min(end, last_day + timedelta(days=1)) - start).days)


def monthly_plan(period: Period, last_day: date | None) -> MonthlyPlan | None:
    """How to read ``period`` with the fewest rows: per month, the month's row minus the days outside the
    period, or the period's days; None when daily rows alone are as cheap (no month gains)."""
    if last_day is None:
        return None
    months: list[date] = []
    ranges: list[tuple[date, date, int]] = []
    start = period.start
    while start < period.end:
        first, after = _month_bounds(start)
        end = min(period.end, after)
        inside = _days(start, end, last_day)
        outside = [(a, b) for a, b in ((first, start), (end, after)) if _days(a, b, last_day)]
        if inside and sum(_days(a, b, last_day) for a, b in outside) < inside:
            months.append(first)
            ranges += [(a, b, -1) for a, b in outside]
        elif inside:
            ranges.append((start, end, 1))
        start = after
    return MonthlyPlan(months, ranges) if months else None


def spend_source(conn: psycopg.Connection, table: str, period: Period, columns: tuple[str, ...],
                 team_id: str | None, extra: str = "", teams: list[str] | None = None) -> tuple[Any, dict[str, Any]]:
    """A subquery of ``columns``, ``amount`` and ``rows`` whose sums over ``period`` equal the rollup's.

    spend_project_daily is read through spend_project_monthly where that reads fewer rows (see
    :func:`monthly_plan`); groups whose rows all lie outside the period sum to 0 rows (HAVING drops them).
    ``extra`` is a fixed SQL condition of the caller (never user text); ``teams`` (a user's visible teams, passed
    as the ``teams`` parameter) keeps only those teams' rows.
    """
    from psycopg import sql

    filters = sql.SQL("(%(provider)s::text IS NULL OR provider = %(provider)s) {team} {teams} {extra}").format(
        team=sql.SQL("AND team_id = %(team_id)s" if team_id else ""),
        teams=sql.SQL("AND team_id = ANY(%(teams)s::text[])" if teams is not None else ""), extra=sql.SQL(extra))
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    plan = None
    if MONTHLY and table == "spend_project_daily" and "usage_date" not in columns:
        (last_day,) = conn.execute(paths.sql("analytics/project_last_day")).fetchone()
        plan = monthly_plan(period, last_day)
    if plan is None:
        return sql.SQL(paths.sql("analytics/source_daily")).format(
            cols=cols, table=sql.Identifier(ROLLUP_SCHEMA, table), filters=filters), {}
    return sql.SQL(paths.sql("analytics/source_monthly")).format(cols=cols, filters=filters), {
        "months": plan.months, "range_starts": [r[0] for r in plan.ranges],
        "range_ends": [r[1] for r in plan.ranges], "range_signs": [r[2] for r in plan.ranges]}


def build_report(conn: psycopg.Connection, period: Period, columns: tuple[str, ...], *, provider: str | None = None,
                 team_id: str | None = None, teams: list[str] | None = None) -> Report:
    """Exact spend over ``period`` grouped by ``columns`` (and currency); ``teams`` None is every team."""
    from psycopg import sql

    table = pick_table(columns, team_id, teams)
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in (*columns, "currency"))
    source, extra = spend_source(conn, table, period, (*columns, "currency"), team_id, teams=teams)
    query = sql.SQL(paths.sql("analytics/report")).format(keys=keys, source=source)
    rows = conn.execute(query, {"start": period.start, "end": period.end, "provider": provider,
                                "team_id": team_id, "teams": teams, **extra}).fetchall()
    n = len(columns)
    names = dict(conn.execute(paths.sql("analytics/project_names")).fetchall()) if "project_id" in columns else {}
    return Report(period=period, columns=columns, provider=provider, team_id=team_id, project_names=names, rows=[
        ReportRow(values=tuple(r[:n]), currency=r[n], amount=Decimal(r[n + 1]), cost_rows=int(r[n + 2]))
        for r in rows
    ])


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=report.headers, lineterminator="\n")
    writer.writeheader()
    for record in report.records():
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue()


def to_json(report: Report) -> str:
    return json.dumps(report.records(), indent=2) + "\n"


_BLANK = {"model": "(no model)", "token_kind": "(none)"}


def to_table(report: Report, notes: list[str] = ()) -> str:
    """Aligned columns, amounts right-aligned and exact, a total per currency, then the notes."""
    header = report.headers
    body = [[_BLANK.get(c, "") if v is None else (v.isoformat() if isinstance(v, date) else str(v))
             for c, v in record.items() if c not in ("currency", "amount")] + [row.currency, plain(row.amount)]
            for row, record in zip(report.rows, report.records(), strict=True)]
    totals = [["total" if i == 0 else "" for i in range(len(header) - 2)] + [cur, plain(amount)]
              for cur, amount in report.totals.items()]
    widths = [max(len(x) for x in col) for col in zip(header, *body, *totals, strict=True)]

    def line(cells: list[str]) -> str:
        parts = [c.rjust(w) if i == len(cells) - 1 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                                   strict=True))]
        return "  ".join(parts).rstrip()

    lines = [line(header), line(["-" * w for w in widths])]
    lines += [line(r) for r in body] or ["(no spend in this period)"]
    if totals:
        lines.append(line(["-" * w for w in widths]))
        lines += [line(t) for t in totals]
    scope = ", ".join(filter(None, [f"provider {report.provider}" if report.provider else "",
                                    f"team {report.team_id}" if report.team_id else ""]))
    lines.insert(0, f"Spend {report.period}{f' ({scope})' if scope else ''}, by "
                    f"{', '.join(k for k, v in DIMENSIONS.items() if v in report.columns)}:")
    return "\n".join([*lines, *notes]) + "\n"

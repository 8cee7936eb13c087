"""Spend reports: exact totals over a period grouped by team, provider, project, model, token kind or day.

One query answers ``finops report``, the page's CSV download and the page's panels; it reads the smallest
rollup that holds every asked column. Output columns follow PRODUCT.md: the asked ones in the order
``team_id, provider, project_id, model, token_kind, usage_date``, then ``currency``, ``amount``.
"""

from __future__ import annotations

import calendar
import csv
import decimal
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.errors import FinopsError, UsageError

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

#: Rollup tables, smallest first, with the output columns each can group by.
_TABLES = (
    ("spend_model_daily", {"provider", "model", "token_kind", "usage_date", *INTERNAL_COLUMNS}),
    ("spend_project_daily", {"team_id", "provider", "project_id", "usage_date"}),
    ("spend_daily", {*DIMENSIONS.values(), *INTERNAL_COLUMNS}),
)
#: Significant digits for Python-side sums: far above what cost amounts carry, so additions stay exact.
EXACT_DIGITS = 1000
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
            record = {c: (v.isoformat() if isinstance(v, date) else v) for c, v in zip(self.columns, row.values,
                                                                                     strict=True)}
            record["currency"] = row.currency
            record["amount"] = plain(row.amount)
            out.append(record)
        return out


def exact() -> decimal.localcontext:
    """A decimal context wide enough that sums of numeric amounts are never rounded (the default keeps 28 digits)."""
    return decimal.localcontext(prec=EXACT_DIGITS)


def plain(amount: Decimal) -> str:
    """An exact decimal without exponent or trailing zeros (``1E+1`` -> ``10``, ``0.50`` -> ``0.5``)."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def pick_table(columns: tuple[str, ...], team_id: str | None) -> str:
    """The smallest rollup that can answer: the all-teams model rollup cannot filter by team."""
    needed = set(columns) | ({"team_id"} if team_id else set())
    return next(name for name, has in _TABLES if needed <= has)


def prepare_reading(conn: psycopg.Connection) -> None:
    """Settings for the analytics reads of the current transaction (see reading_settings.sql)."""
    conn.execute(paths.sql("analytics/reading_settings"))


def build_report(conn: psycopg.Connection, period: Period, columns: tuple[str, ...], *, provider: str | None = None,
                 team_id: str | None = None) -> Report:
    """Exact spend over ``period`` grouped by ``columns`` (and currency)."""
    from psycopg import sql

    table = pick_table(columns, team_id)
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in (*columns, "currency"))
    query = sql.SQL(paths.sql("analytics/report")).format(
        keys=keys, table=sql.Identifier(ROLLUP_SCHEMA, table),
        team_filter=sql.SQL("AND team_id = %(team_id)s" if team_id else ""),
    )
    rows = conn.execute(query, {"start": period.start, "end": period.end, "provider": provider,
                                "team_id": team_id}).fetchall()
    n = len(columns)
    return Report(period=period, columns=columns, provider=provider, team_id=team_id, rows=[
        ReportRow(values=tuple(r[:n]), currency=r[n], amount=Decimal(r[n + 1]), cost_rows=int(r[n + 2]))
        for r in rows
    ])


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*report.columns, "currency", "amount"], lineterminator="\n")
    writer.writeheader()
    for record in report.records():
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue()


def to_json(report: Report) -> str:
    return json.dumps(report.records(), indent=2) + "\n"


_BLANK = {"model": "(no model)", "token_kind": "(none)"}


def to_table(report: Report, notes: list[str] = ()) -> str:
    """Aligned columns, amounts right-aligned and exact, a total per currency, then the notes."""
    header = [*report.columns, "currency", "amount"]
    body = [[_BLANK.get(c, "") if v is None else (v.isoformat() if isinstance(v, date) else str(v))
             for c, v in zip(report.columns, row.values, strict=True)] + [row.currency, plain(row.amount)]
            for row in report.rows]
    totals = [["total" if i == 0 else "" for i in range(len(report.columns))] + [cur, plain(amount)]
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

"""Usage next to spend: the ``--usage`` columns of ``finops report`` and the change explained, read from SQL.

Both read ``include/sql/usage/segments.sql``: cost and tokens per (grouping, model, token kind). A pair's
tokens and cost meet only where both exist: ``cost_per_1m_tokens`` divides the cost of the token kinds that
have usage by their tokens; token cost without usage and tokens without cost are counted apart (and told).
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from finops import paths
from finops.analytics.report import DIMENSIONS, Period, Report, month_period
from finops.money import EXACT, ZERO, exact_sum, plain
from finops.usage.explain import Change, explain
from finops.usage.unit_costs import per_million

if TYPE_CHECKING:
    import psycopg

USAGE_COLUMNS = ("requests", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
                 "cost_per_1m_tokens")
EXPLAIN_COLUMNS = ("previous", "current", "change", "volume", "mix", "price")
#: Token kind -> the usage column its tokens are shown in.
KIND_COLUMN = {"input": "input_tokens", "cached input": "cache_read_tokens", "cache write 5m": "cache_write_tokens",
               "cache write 1h": "cache_write_tokens", "cache write": "cache_write_tokens",
               "output": "output_tokens"}
#: Digits of ``cost_per_1m_tokens`` shown (an estimate: a division).
UNIT_PLACES = Decimal("0.000001")


@dataclass(slots=True)
class UsageFigures:
    """One group's usage and the parts of its token cost that meet usage."""

    requests: int | None = None
    tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KIND_COLUMN.values(), 0))
    matched_cost: Decimal = ZERO
    matched_tokens: int = 0
    cost_without_usage: Decimal = ZERO
    tokens_without_cost: int = 0

    @property
    def cost_per_1m_tokens(self) -> Decimal | None:
        return per_million(self.matched_cost, self.matched_tokens)


class Segment(NamedTuple):
    """One (grouping, model, token kind): its cost and usage, and the parts of them that meet day by day.

    A named tuple (immutable, compared field by field): the overview builds some 14,000 per request.
    """

    key: tuple
    model: str | None
    token_kind: str | None
    cost: Decimal
    tokens: int
    requests: int | None
    matched_cost: Decimal
    matched_tokens: int
    cost_without_usage: Decimal
    tokens_without_cost: int


def segments(conn: psycopg.Connection, period: Period, columns: tuple[str, ...], *, provider: str | None = None,
             team_id: str | None = None, teams: list[str] | None = None) -> list[Segment]:
    """Cost and usage per (``columns``, model, token kind) over ``period`` (see segments.sql)."""
    from psycopg import sql

    keys = tuple(dict.fromkeys((*columns, "model", "token_kind")))
    query = sql.SQL(paths.sql("usage/segments")).format(keys=sql.SQL(", ").join(sql.Identifier(k) for k in keys))
    rows = conn.execute(query, {"start": period.start, "end": period.end, "provider": provider,
                                "team_id": team_id, "teams": teams}).fetchall()
    index = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    return [Segment(key=tuple(r[index[c]] for c in columns), model=r[index["model"]],
                    token_kind=r[index["token_kind"]], cost=Decimal(r[n]), tokens=int(r[n + 1] or 0),
                    requests=None if r[n + 2] is None else int(r[n + 2]), matched_cost=Decimal(r[n + 3]),
                    matched_tokens=int(r[n + 4]), cost_without_usage=Decimal(r[n + 5]),
                    tokens_without_cost=int(r[n + 6])) for r in rows]


@dataclass(frozen=True)
class PageSegments:
    """The usage panels' segments of one page, read in one statement (``include/sql/usage/page_segments.sql``).

    ``daily``: the current period per (usage_date, model); ``previous`` and ``current``: each period per
    (``columns``, model), ``columns`` being ``("team_id",)`` or ``("model",)``: what :func:`segments` returns for the
    same keys, to the last digit.
    """

    daily: list[Segment]
    previous: list[Segment]
    current: list[Segment]


def page_segments(conn: psycopg.Connection, period: Period, previous: Period, columns: tuple[str, ...], *,
                  provider: str | None = None, team_id: str | None = None,
                  teams: list[str] | None = None) -> PageSegments:
    """The current period by day and model, and both periods by ``columns`` (``team_id`` or ``model``), in one read;
    ``teams`` (a reader's visible teams; None: every team) keeps only those teams' rows."""
    from finops.providers import PROVIDERS

    if columns not in (("team_id",), ("model",)):
        raise ValueError(f"page segments are grouped by team_id or model, not {columns}")
    conn.execute(paths.sql("usage/page_work_mem"))
    mtd, ranges = _period_pieces({"previous": previous, "current": period})
    providers = [provider] if provider else list(PROVIDERS)
    # A period of one month-to-date piece is returned as read: one row per (team, model, kind) only while one
    # provider besides Anthropic (whose teams are summed day by day) is in scope.
    single = sum(p != "anthropic" for p in providers) <= 1
    rows = conn.execute(paths.sql("usage/page_segments"), {
        "start": period.start, "end": period.end, "previous_start": previous.start, "previous_end": previous.end,
        "providers": providers, "team_id": team_id, "teams": teams,
        "mtd_periods": [m[0] for m in mtd], "mtd_firsts": [m[1] for m in mtd], "mtd_lasts": [m[2] for m in mtd],
        "range_periods": [r[0] for r in ranges], "range_starts": [r[1] for r in ranges],
        "range_ends": [r[2] for r in ranges],
        "whole_periods": [name for name in ("previous", "current") if single
                          and [m[0] for m in mtd].count(name) == 1 and name not in {r[0] for r in ranges}]}).fetchall()
    out = PageSegments(daily=[], previous=[], current=[])
    parts = {"day": out.daily, "previous": out.previous, "current": out.current}
    by_model = columns == ("model",)
    # The statement's types are the segment's (numeric costs, bigint tokens): no conversion per row; a matched cost
    # equal to the cost comes as a flag, a zero one or a zero cost without usage as NULL.
    for part, which, team, day, model, kind, cost, tokens, requests, same, matched, met, without, unpriced in rows:
        key = (day, model) if part == "day" else (model,) if by_model else (team,)
        parts[which if part != "day" else "day"].append(Segment(
            key, model, kind, cost, tokens or 0, requests, cost if same else ZERO if matched is None else matched,
            met, ZERO if without is None else without, unpriced))
    return out


def _period_pieces(periods: dict[str, Period]) -> tuple[list[tuple[str, date, date]], list[tuple[str, date, date]]]:
    """Each period cut at month boundaries: the pieces that start on the first of their month as (period, first day,
    last day), read from ``usage_model_mtd``'s month-to-date sums, and the others as (period, start, end), summed day
    by day (a difference of two month-to-date sums could show other digits than the sum of the days)."""
    mtd: list[tuple[str, date, date]] = []
    ranges: list[tuple[str, date, date]] = []
    for name, period in periods.items():
        day = period.start
        while day < period.end:
            first = day.replace(day=1)
            stop = min((first + timedelta(days=32)).replace(day=1), period.end)
            if day == first:
                mtd.append((name, first, stop - timedelta(days=1)))
            else:
                ranges.append((name, day, stop))
            day = stop
    return mtd, ranges


def usage_figures(rows: list[Segment], columns: tuple[str, ...]) -> dict[tuple, UsageFigures]:
    """Per group of ``columns``: tokens per usage column, requests, and the token cost that meets usage."""
    out: dict[tuple, UsageFigures] = defaultdict(UsageFigures)
    for row in rows:
        figures = out[row.key]
        if row.requests is not None and "token_kind" not in columns:
            figures.requests = (figures.requests or 0) + row.requests
        if row.token_kind in KIND_COLUMN:
            figures.tokens[KIND_COLUMN[row.token_kind]] += row.tokens
        if row.token_kind is None:
            continue  # a non-token cost: no token unit
        figures.matched_cost = EXACT.add(figures.matched_cost, row.matched_cost)
        figures.matched_tokens += row.matched_tokens
        figures.cost_without_usage = EXACT.add(figures.cost_without_usage, row.cost_without_usage)
        figures.tokens_without_cost += row.tokens_without_cost
    return dict(out)


@dataclass(frozen=True)
class UsageReport:
    """A spend report with the usage columns after ``amount``."""

    report: Report
    figures: dict[tuple, UsageFigures]

    def usage_of(self, values: tuple) -> UsageFigures:
        return self.figures.get(tuple(values), UsageFigures())

    def records(self) -> list[dict[str, Any]]:
        out = []
        for record, row in zip(self.report.records(), self.report.rows, strict=True):
            figures = self.usage_of(row.values)
            unit = figures.cost_per_1m_tokens
            out.append({**record, "requests": figures.requests, **figures.tokens,
                        "cost_per_1m_tokens": None if unit is None else plain(unit.quantize(UNIT_PLACES))})
        return out

    def notes(self) -> list[str]:
        without = exact_sum(f.cost_without_usage for f in self.figures.values())
        unpriced = sum(f.tokens_without_cost for f in self.figures.values())
        notes = []
        if without:
            notes.append(f"{plain(without)} of token cost has no usage behind it (a missing usage day or a token "
                         "kind the usage APIs do not report); it is left out of cost_per_1m_tokens.")
        if unpriced:
            notes.append(f"{unpriced} tokens have no cost behind them (not billed yet, or free); they are left out "
                         "of cost_per_1m_tokens.")
        return notes


def usage_report(conn: psycopg.Connection, report: Report, teams: list[str] | None = None) -> UsageReport:
    """The report's rows with their usage (same grouping, period, provider and team)."""
    rows = segments(conn, report.period, report.columns, provider=report.provider, team_id=report.team_id,
                    teams=teams)
    return UsageReport(report=report, figures=usage_figures(rows, report.columns))


def _cell(value: Any) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)


def to_csv(result: UsageReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*result.report.columns, "currency", "amount", *USAGE_COLUMNS],
                            lineterminator="\n")
    writer.writeheader()
    for record in result.records():
        writer.writerow({k: _cell(v) for k, v in record.items()})
    return out.getvalue()


def to_json(result: UsageReport) -> str:
    return json.dumps(result.records(), indent=2) + "\n"


def table(header: list[str], body: list[list[str]], right_from: int) -> list[str]:
    """Aligned lines: columns from ``right_from`` on right-aligned (numbers)."""
    widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i >= right_from else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [line(header), line(["-" * w for w in widths]), *[line(r) for r in body]]


def to_table(result: UsageReport, notes: list[str] = ()) -> str:
    report = result.report
    header = [*report.columns, "currency", "amount", *USAGE_COLUMNS]
    body = [[_cell(r[c]) or ("(no model)" if c == "model" else "") for c in report.columns] +
            [r["currency"], r["amount"], *(_cell(r[c]) for c in USAGE_COLUMNS)] for r in result.records()]
    lines = [f"Spend and usage {report.period}, by "
             f"{', '.join(k for k, v in DIMENSIONS.items() if v in report.columns)}:"]
    lines += table(header, body, len(report.columns) + 1) if body else ["(no spend in this period)"]
    return "\n".join([*lines, *result.notes(), *notes]) + "\n"


# -- the change explained --------------------------------------------------------------------------------------

def explain_periods(month: str, today: date) -> tuple[Period, Period]:
    """(previous, current): the month (to date if it is the current one) and the same days of the month before."""
    current = month_period(month)
    if current.start <= today < current.end:
        current = Period(current.start, today + timedelta(days=1))
    before = (current.start - timedelta(days=1)).replace(day=1)
    length = min((current.end - current.start).days, calendar.monthrange(before.year, before.month)[1])
    return Period(before, before + timedelta(days=length)), current


@dataclass(frozen=True)
class Explained:
    """The change per group (or in total), and the periods compared."""

    previous: Period
    current: Period
    columns: tuple[str, ...]
    rows: list[tuple[tuple, Change]]

    @property
    def total(self) -> Change:
        """The sum of the rows (each part summed exactly, so the total's parts add up too)."""
        parts = [exact_sum(getattr(c, name) for _, c in self.rows) for name in EXPLAIN_COLUMNS]
        return Change(*parts)

    def records(self) -> list[dict[str, Any]]:
        return [{**dict(zip(self.columns, key, strict=True)),
                 **{name: plain(getattr(change, name)) for name in EXPLAIN_COLUMNS}} for key, change in self.rows]


UNMEASURED = "without usage"


def _by_group(rows: list[Segment]) -> dict[tuple, dict[tuple, tuple[Decimal, int]]]:
    """Per group, the explanation's segments: what meets usage (cost, tokens), and what does not as (cost, 0)."""
    out: dict[tuple, dict[tuple, tuple[Decimal, int]]] = defaultdict(dict)
    for row in rows:
        segment = (row.model, row.token_kind)
        if row.token_kind is None:
            out[row.key][(*segment, UNMEASURED)] = (row.cost, 0)
            continue
        out[row.key][segment] = (row.matched_cost, row.matched_tokens)
        if row.matched_cost is row.cost:  # the page read's rows that meet usage whole (most): nothing left
            continue
        rest = EXACT.subtract(row.cost, row.matched_cost)  # cost without usage (and 0 where tokens cost nothing)
        if rest:
            out[row.key][(*segment, UNMEASURED)] = (rest, 0)
    return out


def explain_change(conn: psycopg.Connection, previous: Period, current: Period, columns: tuple[str, ...] = (), *,
                   provider: str | None = None, team_id: str | None = None,
                   teams: list[str] | None = None) -> Explained:
    """Volume, mix and price of the change from ``previous`` to ``current``, per group of ``columns``."""
    return explain_segments(previous, current, columns,
                            segments(conn, previous, columns, provider=provider, team_id=team_id, teams=teams),
                            segments(conn, current, columns, provider=provider, team_id=team_id, teams=teams))


def explain_segments(previous: Period, current: Period, columns: tuple[str, ...], before_rows: list[Segment],
                     after_rows: list[Segment]) -> Explained:
    """The change explained from both periods' segments (keyed by ``columns``)."""
    before = _by_group(before_rows)
    after = _by_group(after_rows)
    rows = [(key, explain(before.get(key, {}), after.get(key, {})))
            for key in sorted(set(before) | set(after), key=lambda k: tuple(_cell(v) for v in k))]
    return Explained(previous=previous, current=current, columns=columns, rows=rows)


def explain_table(result: Explained) -> str:
    header = [*(result.columns or ("grouping",)), *EXPLAIN_COLUMNS]
    body = [[*(_cell(v) for v in key)] if key else ["total"] for key, _ in result.rows]
    body = [cells + [plain(getattr(change, name)) for name in EXPLAIN_COLUMNS]
            for cells, (_, change) in zip(body, result.rows, strict=True)]
    if result.columns and result.rows:
        total = result.total
        body.append(["total", *[""] * (len(result.columns) - 1), *(plain(getattr(total, n)) for n in EXPLAIN_COLUMNS)])
    lines = [f"Change of spend {result.previous} -> {result.current}: volume (more or fewer tokens at the old unit "
             "costs), mix (a shift between models and token kinds), price (unit cost changes); "
             "volume + mix + price = change."]
    lines += table(header, body, len(header) - len(EXPLAIN_COLUMNS)) if body else ["(no spend in either period)"]
    return "\n".join(lines) + "\n"


def explain_csv(result: Explained) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*result.columns, *EXPLAIN_COLUMNS], lineterminator="\n")
    writer.writeheader()
    for record in result.records():
        writer.writerow({k: _cell(v) for k, v in record.items()})
    return out.getvalue()

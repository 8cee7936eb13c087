"""``finops report --by api_key`` and ``--by owner``: exact spend per API key or owner, straight from cost_data.

Columns: the asked ones among ``team_id, provider, project_id, usage_date``, then for ``api_key``:
``api_key_id, key_name, redacted_value, owner``; for ``owner``: ``owner, owner_type``; then ``allocated`` (true:
Anthropic amounts allocated over keys by their tokens, not billed per key), ``unattributed_reason`` (spend with no
key: organization-level, Playground, Console/Workbench, not reported per key), ``currency``, ``amount``.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from finops import paths
from finops.errors import UsageError
from finops.money import exact_sum, plain

if TYPE_CHECKING:
    import psycopg

    from finops.analytics.report import Period

#: Dimensions that may go with api_key or owner, in output order.
OTHER_DIMENSIONS = {"team": "team_id", "provider": "provider", "project": "project_id", "day": "usage_date"}
ATTRIBUTION = {"api_key": ("api_key_id", "key_name", "redacted_value", "owner"), "owner": ("owner", "owner_type")}
TAIL = ("allocated", "unattributed_reason", "currency")


def wants_attribution(by: str | None) -> bool:
    """Whether ``--by`` asks for spend per API key or owner."""
    return any(n.strip() in ATTRIBUTION for n in (by or "").split(","))


def parse_by(text: str) -> tuple[str, tuple[str, ...]]:
    """``api_key,team`` -> (``api_key``, the other columns in output order)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    kinds = [n for n in names if n in ATTRIBUTION]
    unknown = [n for n in names if n not in ATTRIBUTION and n not in OTHER_DIMENSIONS]
    if len(kinds) != 1 or unknown:
        raise UsageError(f"--by with api_key or owner takes one of them plus any of {', '.join(OTHER_DIMENSIONS)}; "
                         f"{', '.join(unknown) or ', '.join(kinds)} does not fit.")
    return kinds[0], tuple(c for n, c in OTHER_DIMENSIONS.items() if n in names)


@dataclass(frozen=True)
class KeyReport:
    """Rows of a per-key or per-owner report: column values, the exact amount and the number of cost rows."""

    period: Period
    kind: str
    columns: tuple[str, ...]
    rows: list[tuple[tuple[Any, ...], Decimal, int]]

    @property
    def headers(self) -> list[str]:
        return [*self.columns, "amount"]

    def records(self) -> list[dict[str, Any]]:
        return [{**{c: v.isoformat() if isinstance(v, date) else v for c, v in zip(self.columns, values,
                                                                                    strict=True)},
                 "amount": plain(amount)} for values, amount, _ in self.rows]

    @property
    def totals(self) -> dict[str, Decimal]:
        sums: dict[str, list[Decimal]] = defaultdict(list)
        position = self.columns.index("currency")
        for values, amount, _ in self.rows:
            sums[values[position]].append(amount)
        return {c: exact_sum(v) for c, v in sorted(sums.items())}


def build_key_report(conn: psycopg.Connection, period: Period, kind: str, dimensions: tuple[str, ...], *,
                     provider: str | None = None, team_id: str | None = None,
                     teams: list[str] | None = None) -> KeyReport:
    """Exact spend over ``period`` per API key (``kind="api_key"``) or owner, with ``dimensions`` before them."""
    from psycopg import sql

    columns = (*dimensions, *ATTRIBUTION[kind], *TAIL)
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    query = sql.SQL(paths.sql("attribution/report")).format(select=keys, keys=keys)
    rows = conn.execute(query, {"start": period.start, "end": period.end, "provider": provider,
                                "team_id": team_id, "teams": teams}).fetchall()
    n = len(columns)
    return KeyReport(period=period, kind=kind, columns=columns,
                     rows=[(tuple(r[:n]), Decimal(r[n]), int(r[n + 1])) for r in rows])


def to_csv(report: KeyReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=report.headers, lineterminator="\n")
    writer.writeheader()
    for record in report.records():
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue()


def to_json(report: KeyReport) -> str:
    return json.dumps(report.records(), indent=2) + "\n"


def to_table(report: KeyReport) -> str:
    """Aligned columns, amounts exact, a total per currency and a note on allocated amounts."""
    header = report.headers
    body = [["" if v is None else ("allocated" if v is True else "billed" if v is False else str(v))
             for v in record.values()] for record in report.records()]
    totals = [["total", *[""] * (len(header) - 3), cur, plain(amount)] for cur, amount in report.totals.items()]
    widths = [max(len(x) for x in col) for col in zip(header, *body, *totals, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i == len(cells) - 1 else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    lines = [f"Spend {report.period} by {report.kind.replace('_', ' ')}:", line(header),
             line(["-" * w for w in widths]), *([line(r) for r in body] or ["(no spend in this period)"])]
    if totals:
        lines += [line(["-" * w for w in widths]), *[line(t) for t in totals]]
    if any(values[report.columns.index("allocated")] for values, _, _ in report.rows):
        lines.append("allocated: Anthropic bills per workspace; these amounts are its cost split over the keys in "
                     "proportion to their tokens (docs/attribution.md), not billed per key.")
    return "\n".join(lines) + "\n"

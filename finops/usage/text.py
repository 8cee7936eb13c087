"""Plain-text views of usage for the terminal (the demo): unit costs per model and the change explained."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from finops.analytics.report import Period
from finops.money import EXACT, ZERO
from finops.usage.report import explain_change, explain_table, segments
from finops.usage.unit_costs import cache_hit_rate, per_million

if TYPE_CHECKING:
    import psycopg

INPUT_KINDS = {"input": "input", "cached input": "cached", "cache write 5m": "write", "cache write 1h": "write",
               "cache write": "write"}


def unit_cost_table(conn: psycopg.Connection, period: Period) -> str:
    """Tokens, requests, cost per 1M tokens and cache hit rate per team, provider and model over ``period``."""
    groups: dict[tuple, dict] = defaultdict(lambda: {"tokens": 0, "requests": None, "cost": ZERO, "matched": 0,
                                                     "input": 0, "cached": 0, "write": 0})
    for s in segments(conn, period, ("team_id", "provider")):
        if s.model is None:
            continue
        g = groups[(*s.key, s.model)]
        if s.requests is not None:
            g["requests"] = (g["requests"] or 0) + s.requests
        if s.token_kind is None:
            continue
        g["tokens"] += s.tokens
        g["cost"] = EXACT.add(g["cost"], s.matched_cost)
        g["matched"] += s.matched_tokens
        if s.token_kind in INPUT_KINDS:
            g[INPUT_KINDS[s.token_kind]] += s.tokens
    header = f"{'team':10} {'provider':10} {'model':28} {'tokens':>14} {'requests':>10} {'USD/1M tokens':>14} " \
             f"{'cache hits':>10}"
    lines = [f"Usage and unit costs per team and model, {period} (cost per 1M tokens from the bills; docs/usage.md):",
             header, "-" * len(header)]
    for (team, provider, model), g in sorted(groups.items()):
        if not g["tokens"]:
            continue
        unit = per_million(g["cost"], g["matched"])
        rate = cache_hit_rate(g["input"], g["cached"], g["write"])
        lines.append(f"{team:10} {provider:10} {model[:28]:28} {g['tokens']:>14,} "
                     f"{'' if g['requests'] is None else format(g['requests'], ','):>10} "
                     f"{'' if unit is None else format(unit, '.4f'):>14} "
                     f"{'' if rate is None else format(rate, '.1%'):>10}")
    if len(lines) == 3:
        lines.append("(no usage in this period)")
    return "\n".join(lines)


def change_table(conn: psycopg.Connection, period: Period) -> str:
    """The later half of ``period`` against its earlier half, per team: volume, mix and price."""
    half = (period.end - period.start).days // 2
    if half < 1:
        return "(the period is too short to compare two halves)"
    previous = Period(period.end - timedelta(days=2 * half), period.end - timedelta(days=half))
    current = Period(previous.end, period.end)
    return explain_table(explain_change(conn, previous, current, ("team_id",))).rstrip("\n")


__all__ = ["change_table", "unit_cost_table"]

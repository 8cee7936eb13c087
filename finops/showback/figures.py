"""Small helpers shared by digests and statements: the look-back, money text, per-currency sums."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from finops.money import ZERO, exact_sum, plain


def lookback_days() -> int:
    """``finops_lookback_days`` (default 2): the last days a collection still re-collects."""
    from finops.defaults import DEFAULT_LOOKBACK_DAYS, LOOKBACK_DAYS_VARIABLE
    from finops.lookup import get_variable

    return int(get_variable(LOOKBACK_DAYS_VARIABLE, DEFAULT_LOOKBACK_DAYS))


def money(amount: Decimal, currency: str) -> str:
    """``1,234.56 usd``: two decimals for reading (exact figures are in the CSV and the tables)."""
    return f"{amount:,.2f} {currency}"


def by_currency(pairs: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Exact sums per currency, in currency order."""
    groups: dict[str, list[Decimal]] = defaultdict(list)
    for currency, amount in pairs:
        groups[currency].append(amount)
    return {c: exact_sum(groups[c]) for c in sorted(groups)}


def totals_text(totals: dict[str, Decimal]) -> str:
    return " + ".join(money(a, c) for c, a in totals.items()) or money(ZERO, "usd")


def exact_text(totals: dict[str, Decimal]) -> dict[str, str]:
    """Totals as exact text (JSON, the statements table)."""
    return {c: plain(a) for c, a in totals.items()}

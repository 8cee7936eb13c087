"""Money's one home: the exact decimal context every module adds amounts in, exact sums, plain formatting.

Amounts arrive as decimal strings with float noise (``3.5000000000000004E-8``) and PostgreSQL's
``numeric`` adds them exactly; Python's default context keeps 28 significant digits and rounds.
``EXACT`` has the largest precision and exponent range ``decimal`` allows and traps ``Inexact``, so an
addition, subtraction or multiplication by an integer never rounds, and an operation that would round
(a division, say) raises instead of silently losing digits. Code that must divide (averages,
forecasts, shares) does so outside this context, on purpose, and says so.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal

ZERO = Decimal(0)

#: Additions in this context are exact whatever their digits; anything that would round raises ``Inexact``.
EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                        traps=[decimal.Inexact, decimal.InvalidOperation, decimal.DivisionByZero,
                               decimal.Overflow])


def exact() -> decimal.localcontext:
    """``with exact():`` makes every ``+``, ``-`` and ``sum`` of Decimals inside it exact."""
    return decimal.localcontext(EXACT)


def exact_sum(amounts: Iterable[Decimal | int], start: Decimal = ZERO) -> Decimal:
    """The exact sum of ``amounts`` (the default context would round it to 28 digits)."""
    total = start
    add = EXACT.add
    for amount in amounts:
        total = add(total, amount)
    return total


def add(a: Decimal | int, b: Decimal | int) -> Decimal:
    """``a + b`` exactly."""
    return EXACT.add(a, b)


def subtract(a: Decimal | int, b: Decimal | int) -> Decimal:
    """``a - b`` exactly."""
    return EXACT.subtract(a, b)


def plain(amount: Decimal) -> str:
    """An exact decimal as text without exponent or trailing zeros (``1E+1`` -> ``10``, ``0.50`` -> ``0.5``)."""
    text = format(amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text

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


#: Allocated amounts are split at this many decimal places of the currency's unit (or the amount's own finer digit).
ALLOCATION_PLACES = 10


def allocate(amount: Decimal, weights: list[int], places: int = ALLOCATION_PLACES) -> list[Decimal]:
    """``amount`` split in proportion to integer ``weights``, the parts summing to ``amount`` exactly.

    The rule (largest remainder): the quantum is ``10**-ALLOCATION_PLACES`` or the amount's own last digit
    if finer; each part gets the floor of its exact share in quanta, and the quanta left over go one each to
    the largest remainders, ties to the earlier weight. Zero weights get zero; all-zero weights raise.
    ``places=0`` splits whole counts (tokens) into whole parts.
    """
    total_weight = sum(weights)
    if total_weight <= 0 or any(w < 0 for w in weights):
        raise ValueError("allocate needs non-negative weights with a positive total")
    exponent = min(amount.as_tuple().exponent, -places)
    units = int(amount.scaleb(-exponent, EXACT))
    sign = -1 if units < 0 else 1
    units = abs(units)
    shares = [divmod(units * w, total_weight) for w in weights]
    left = units - sum(q for q, _ in shares)
    order = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
    parts = [q for q, _ in shares]
    for i in order[:left]:
        parts[i] += 1
    return [Decimal(sign * p).scaleb(exponent, EXACT) for p in parts]

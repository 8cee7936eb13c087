"""The change of spend between two periods split into volume, mix and price, adding up exactly to the change.

Segments are (model, token kind) pairs; ``q`` their tokens, ``c`` their cost, ``p = c / q`` their unit cost,
``Q`` and ``C`` the sums over the measured segments of a period (0 previous, 1 current):

- volume = C0 x (Q1 - Q0) / Q0: more or fewer tokens at the old average unit cost;
- mix = sum(q1 x p0) - Q1 x C0 / Q0: the shift between models and kinds, at the old unit costs;
- price = the change minus volume and mix (= sum(q1 x (p1 - p0)) before rounding): unit cost changes.

A new segment (no previous tokens) takes its current unit cost as its old one, so it moves volume and mix,
never price; a vanished one (no current tokens) moves volume and mix. With no previous tokens at all,
volume is the current cost of the measured segments and mix is 0. A segment with cost but no tokens in a
period where it costs something ("cost without usage": non-token costs, a missing usage day) has no unit to
explain it by: its whole change counts as volume. Volume and mix are exact rationals rounded to
:data:`PLACES`; price is the exact remainder, so ``volume + mix + price == change`` to the last digit (price
also holds the rounding of volume and mix, under 1e-10 each).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from math import lcm

from finops.money import EXACT, ZERO, exact_sum, subtract

#: Decimal places of volume and mix (the remainder, price, keeps every digit of the amounts).
PLACES = Decimal("1e-10")
#: A zero mix, as the division of 0 gives it (``0E-10``).
ZERO_PLACES = Decimal(0).quantize(PLACES)

Segment = tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class Change:
    """One grouping's spend in both periods and the split of its change."""

    previous: Decimal
    current: Decimal
    change: Decimal
    volume: Decimal
    mix: Decimal
    price: Decimal


def _decimal(value: Fraction) -> Decimal:
    """A rational rounded to :data:`PLACES` (a division, on purpose outside the exact context)."""
    return _ratio(value.numerator, value.denominator)


def _ratio(numerator: int, denominator: int) -> Decimal:
    """``numerator / denominator`` rounded to :data:`PLACES`: 100 significant digits, then half-even. It depends only
    on the value, so the terms need not be reduced."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    with localcontext() as ctx:
        ctx.prec = 100
        return (Decimal(numerator) / Decimal(denominator)).quantize(PLACES, rounding=ROUND_HALF_EVEN)


def explain(previous: Mapping[Segment, tuple[Decimal, int]], current: Mapping[Segment, tuple[Decimal, int]]) -> Change:
    """Split the change between two periods' segments, each ``(cost, tokens)``, into volume, mix and price.

    The rationals of the formulas are computed as integer fractions over common denominators (the costs' decimal
    denominator and the lcm of the previous tokens), reduced never: the same values as with
    :class:`fractions.Fraction`, hence the same rounded volume and mix, several times faster (the overview explains
    every team on each request).
    """
    segments = set(previous) | set(current)
    c0 = exact_sum(previous.get(s, (ZERO, 0))[0] for s in segments)
    c1 = exact_sum(current.get(s, (ZERO, 0))[0] for s in segments)
    change = subtract(c1, c0)
    unmeasured = ZERO
    measured: list[tuple[Decimal, int, Decimal, int]] = []  # (c0, q0, c1, q1)
    for s in segments:
        cost0, q0 = previous.get(s, (ZERO, 0))
        cost1, q1 = current.get(s, (ZERO, 0))
        if (cost0 and not q0) or (cost1 and not q1):
            unmeasured = EXACT.add(unmeasured, subtract(cost1, cost0))
            continue
        if not (cost0 or cost1):
            continue  # usage without cost in both periods: it moves no spend
        measured.append((cost0, int(q0), cost1, int(q1)))
    # Every cost as an integer over one denominator ``scale`` (a power of ten's divisor: exact).
    ratios = [(cost0.as_integer_ratio(), cost1.as_integer_ratio()) for cost0, _, cost1, _ in measured]
    scale = lcm(1, *(d for pair in ratios for _, d in pair))
    costs = [(n0 * (scale // d0), n1 * (scale // d1)) for (n0, d0), (n1, d1) in ratios]
    big_c0 = sum(k0 for k0, _ in costs)  # / scale
    big_q0 = sum(m[1] for m in measured)
    big_q1 = sum(m[3] for m in measured)
    # sum(q1 x p0), a new segment at its current unit cost: at_old / (scale x common)
    common = lcm(1, *(q0 for _, q0, _, _ in measured if q0))
    at_old = 0
    for (k0, k1), (_, q0, _, q1) in zip(costs, measured, strict=True):
        if q0:
            at_old += q1 * k0 * (common // q0)
        elif q1:
            at_old += k1 * common
    if big_q0:
        volume = _ratio(big_c0 * (big_q1 - big_q0), scale * big_q0)
        mix = _ratio(at_old * big_q0 - big_q1 * big_c0 * common, scale * common * big_q0)
    else:
        volume, mix = _ratio(at_old, scale * common), ZERO_PLACES
    volume_d = EXACT.add(volume, unmeasured)
    price = subtract(subtract(change, volume_d), mix)
    return Change(previous=c0, current=c1, change=change, volume=volume_d, mix=mix, price=price)

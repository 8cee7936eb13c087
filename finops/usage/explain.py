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

from finops.money import EXACT, ZERO, exact_sum, subtract

#: Decimal places of volume and mix (the remainder, price, keeps every digit of the amounts).
PLACES = Decimal("1e-10")

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
    with localcontext() as ctx:
        ctx.prec = 100
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(PLACES, rounding=ROUND_HALF_EVEN)


def explain(previous: Mapping[Segment, tuple[Decimal, int]], current: Mapping[Segment, tuple[Decimal, int]]) -> Change:
    """Split the change between two periods' segments, each ``(cost, tokens)``, into volume, mix and price."""
    segments = set(previous) | set(current)
    c0 = exact_sum(previous.get(s, (ZERO, 0))[0] for s in segments)
    c1 = exact_sum(current.get(s, (ZERO, 0))[0] for s in segments)
    change = subtract(c1, c0)
    unmeasured = ZERO
    measured: list[tuple[Fraction, int, Fraction, int]] = []  # (c0, q0, c1, q1)
    for s in segments:
        cost0, q0 = previous.get(s, (ZERO, 0))
        cost1, q1 = current.get(s, (ZERO, 0))
        if (cost0 and not q0) or (cost1 and not q1):
            unmeasured = EXACT.add(unmeasured, subtract(cost1, cost0))
            continue
        if not (cost0 or cost1):
            continue  # usage without cost in both periods: it moves no spend
        measured.append((Fraction(cost0), int(q0), Fraction(cost1), int(q1)))
    big_c0 = sum((m[0] for m in measured), Fraction(0))
    big_q0 = sum(m[1] for m in measured)
    big_q1 = sum(m[3] for m in measured)
    at_old = Fraction(0)  # sum(q1 x p0), a new segment at its current unit cost
    for cost0, q0, cost1, q1 in measured:
        if q0:
            at_old += q1 * cost0 / q0
        elif q1:
            at_old += cost1
    if big_q0:
        volume = big_c0 * (big_q1 - big_q0) / big_q0
        mix = at_old - big_q1 * big_c0 / big_q0
    else:
        volume, mix = at_old, Fraction(0)
    volume_d = EXACT.add(_decimal(volume), unmeasured)
    mix_d = _decimal(mix)
    price = subtract(subtract(change, volume_d), mix_d)
    return Change(previous=c0, current=c1, change=change, volume=volume_d, mix=mix_d, price=price)

"""Unit costs from the organization's own bills: cost per 1M tokens, per request, cache hit rate and savings.

Pure functions. Every unit cost is a division, so an estimate: computed outside :mod:`finops.money`'s exact
context (28 significant digits), never added back into money. Where there is nothing to divide by the
answer is ``None`` (shown as blank, with the reason), never an error and never a division by zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from finops.money import ZERO, exact_sum

MILLION = Decimal(1_000_000)
#: How a (model, token kind) pair's cost and usage meet.
MATCHED, COST_WITHOUT_USAGE, USAGE_WITHOUT_COST = "matched", "cost without usage", "usage without cost"
#: Token kinds that are input (the cache hit rate's denominator); cache writes are input too.
INPUT_KINDS = ("input", "cached input", "cache write 5m", "cache write 1h", "cache write")


def per_million(cost: Decimal, tokens: int) -> Decimal | None:
    """Cost per 1M tokens, or None without tokens."""
    return cost * MILLION / tokens if tokens else None


def per_request(cost: Decimal, requests: int | None) -> Decimal | None:
    """Cost per request, or None when requests are unknown (Anthropic reports none) or zero."""
    return cost / requests if requests else None


def cache_hit_rate(input_tokens: int, cache_read_tokens: int, cache_write_tokens: int = 0) -> Decimal | None:
    """Cache reads over all input tokens (uncached + cache reads + cache writes), or None without input."""
    total = input_tokens + cache_read_tokens + cache_write_tokens
    return Decimal(cache_read_tokens) / total if total else None


def cache_savings(input_cost: Decimal, input_tokens: int, cache_read_cost: Decimal,
                  cache_read_tokens: int) -> Decimal | None:
    """Cache reads priced at the effective uncached input rate minus what they cost; None without that rate."""
    if not input_tokens:
        return None
    return Decimal(cache_read_tokens) * input_cost / input_tokens - cache_read_cost


@dataclass(frozen=True, slots=True)
class KindUnitCost:
    """One model and token kind: its cost, its tokens, the effective price and how cost and usage met."""

    model: str | None
    token_kind: str
    cost: Decimal
    tokens: int
    cost_per_1m: Decimal | None
    status: str


def kind_unit_costs(costs: Mapping[tuple[str | None, str], Decimal],
                    tokens: Mapping[tuple[str | None, str], int]) -> list[KindUnitCost]:
    """Per (model, token kind): cost over tokens; cost without usage and usage without cost are marked, not divided."""
    out = []
    for key in sorted(set(costs) | set(tokens), key=lambda k: (k[0] or "", k[1])):
        cost, count = costs.get(key, ZERO), int(tokens.get(key, 0))
        status = MATCHED if count and cost else COST_WITHOUT_USAGE if cost else USAGE_WITHOUT_COST
        out.append(KindUnitCost(model=key[0], token_kind=key[1], cost=cost, tokens=count,
                                cost_per_1m=per_million(cost, count) if status == MATCHED else None, status=status))
    return out


@dataclass(frozen=True, slots=True)
class ModelUnitCosts:
    """One model's tokens, requests, token cost, cost per 1M tokens and per request, cache hit rate and savings."""

    model: str | None
    tokens: int
    requests: int | None
    cost: Decimal
    cost_per_1m: Decimal | None
    cost_per_request: Decimal | None
    cache_hit_rate: Decimal | None
    cache_savings: Decimal | None
    #: Cost of this model's kinds that have no usage behind them (left out of the unit costs).
    cost_without_usage: Decimal
    #: Tokens of this model's kinds that have no cost (left out of the unit costs).
    tokens_without_cost: int


def model_unit_costs(kinds: list[KindUnitCost], requests: Mapping[str | None, int | None]) -> list[ModelUnitCosts]:
    """Per model, from its kinds: only matched kinds count in the unit costs; the rest is shown apart."""
    by_model: dict[str | None, list[KindUnitCost]] = {}
    for kind in kinds:
        by_model.setdefault(kind.model, []).append(kind)
    out = []
    for model, rows in sorted(by_model.items(), key=lambda kv: kv[0] or ""):
        matched = [r for r in rows if r.status == MATCHED]
        cost = exact_sum(r.cost for r in matched)
        tokens = sum(r.tokens for r in matched)
        by_kind = {r.token_kind: r for r in matched}
        every = {r.token_kind: r.tokens for r in rows}
        writes = sum(every.get(k, 0) for k in ("cache write 5m", "cache write 1h", "cache write"))
        inp, cached = by_kind.get("input"), by_kind.get("cached input")
        out.append(ModelUnitCosts(
            model=model, tokens=tokens, requests=requests.get(model), cost=cost,
            cost_per_1m=per_million(cost, tokens), cost_per_request=per_request(cost, requests.get(model)),
            cache_hit_rate=cache_hit_rate(every.get("input", 0), every.get("cached input", 0), writes),
            cache_savings=cache_savings(inp.cost, inp.tokens, cached.cost, cached.tokens) if inp and cached else None,
            cost_without_usage=exact_sum(r.cost for r in rows if r.status == COST_WITHOUT_USAGE),
            tokens_without_cost=sum(r.tokens for r in rows if r.status == USAGE_WITHOUT_COST),
        ))
    return out

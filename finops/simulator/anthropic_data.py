"""Deterministic synthetic Anthropic costs: every amount is a pure function of (seed, workspace, day, description).

Amounts are exact decimals in **cents** with fractional cents (quantity x price per unit), served as
strings like the real cost report. The cost report endpoint and :func:`expected_anthropic_costs` both
read :func:`report_results`, so the totals a test expects (in dollars, after the cents conversion)
are, to the last digit, what the endpoint serves, whatever the page size or request order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from finops.money import EXACT, ZERO, add
from finops.simulator.config import AnthropicOrganization, SimulatorConfig
from finops.simulator.data import days
from finops.simulator.randomness import _rng, unit_hash

CURRENCY = "USD"
DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True, slots=True)
class Description:
    """One cost description of the catalogue: its price per unit in cents and its structured fields."""

    price_cents: Decimal
    quantity: tuple[int, int]
    cost_type: str
    model: str | None = None
    token_type: str | None = None
    service_tier: str | None = None
    context_window: str | None = None
    inference_geo: str | None = None


def _tokens(model: str, token_type: str, price_per_mtok: str, *, tier: str = "standard", window: str = "0-200k",
            geo: str = "global") -> Description:
    return Description(price_cents=Decimal(price_per_mtok) / Decimal(10_000), quantity=(1_000, 6_000_000),
                       cost_type="tokens", model=model, token_type=token_type, service_tier=tier,
                       context_window=window, inference_geo=geo)


SONNET, HAIKU, OPUS = "claude-sonnet-4-20250514", "claude-3-5-haiku-20241022", "claude-opus-4-1-20250805"

#: The catalogue: description -> price and fields (token prices in dollars per million tokens -> cents per token).
DESCRIPTIONS: dict[str, Description] = {
    "Claude Sonnet 4 Usage - Input Tokens": _tokens(SONNET, "uncached_input_tokens", "3"),
    "Claude Sonnet 4 Usage - Output Tokens": _tokens(SONNET, "output_tokens", "15"),
    "Claude Sonnet 4 Usage - Cache Read": _tokens(SONNET, "cache_read_input_tokens", "0.3"),
    "Claude Sonnet 4 Usage - Cache Write (5m)": _tokens(SONNET, "cache_creation.ephemeral_5m_input_tokens", "3.75"),
    "Claude Sonnet 4 Usage - Cache Write (1h)": _tokens(SONNET, "cache_creation.ephemeral_1h_input_tokens", "6"),
    "Claude Sonnet 4 Usage - Input Tokens, Long Context": _tokens(SONNET, "uncached_input_tokens", "6",
                                                                  window="200k-1M", geo="us"),
    "Claude Haiku 3.5 Usage - Input Tokens, Batch": _tokens(HAIKU, "uncached_input_tokens", "0.4", tier="batch"),
    "Claude Haiku 3.5 Usage - Output Tokens, Batch": _tokens(HAIKU, "output_tokens", "2", tier="batch"),
    "Claude Opus 4.1 Usage - Output Tokens": _tokens(OPUS, "output_tokens", "75", geo="not_available"),
    "Web Search Usage": Description(price_cents=Decimal(1), quantity=(1, 900), cost_type="web_search"),
    "Code Execution Usage": Description(price_cents=Decimal("0.00138889"), quantity=(60, 40_000),
                                        cost_type="code_execution"),
}


@dataclass(frozen=True, slots=True)
class ReportResult:
    """One result of a cost report bucket as served, after grouping (``workspace_id`` None: the default one)."""

    workspace_id: str | None
    description: str | None
    amount_cents: Decimal
    fields: Description | None


def scopes(org: AnthropicOrganization) -> list[str | None]:
    """The organization's workspaces with spend, ``None`` standing for the default workspace."""
    ids: list[str | None] = sorted(w.id for w in org.workspaces)
    return ([None] if org.default_workspace else []) + ids


def _scenario_charges(org: AnthropicOrganization, scope: str, day: date, revision: int) -> list[tuple[str, Decimal]]:
    """The workspace's share of the scenario's day (in cents), split over the descriptions in fixed shares."""
    from finops.simulator.scenarios import MICRO, scenario_day, shares

    cents = scenario_day(org.scenario, org.seed, day, revision).amount * 100
    if not cents:
        return []
    names = org.descriptions or list(DESCRIPTIONS)
    pairs = [(w or DEFAULT_WORKSPACE, name) for w in scopes(org) for name in names]
    return [(name, (cents * Decimal(repr(share))).quantize(MICRO))
            for (w, name), share in zip(pairs, shares(org.seed, pairs), strict=True) if w == scope]


def daily_charges(org: AnthropicOrganization, workspace_id: str | None, day: date,
                  revision: int = 0) -> list[tuple[str, Decimal]]:
    """The workspace's (description, cents) charges of the day; none on a zero-spend day; a scenario's share."""
    scope = workspace_id or DEFAULT_WORKSPACE
    if org.daily_amounts is not None:
        return sorted(org.daily_amounts.items())
    if org.scenario is not None:
        return _scenario_charges(org, scope, day, revision)
    if unit_hash(org.seed, day, "empty-day") < org.empty_day_share:
        return []
    if unit_hash(org.seed, scope, day, "zero-day") < org.zero_day_share:
        return []
    charges = []
    for name in org.descriptions or list(DESCRIPTIONS):
        rng = _rng(org.seed, scope, day, name)
        if rng.random() < 0.35:
            continue
        spec = DESCRIPTIONS.get(name) or Description(price_cents=Decimal("0.0001"), quantity=(1, 1000),
                                                     cost_type="tokens")
        charges.append((name, spec.price_cents * rng.randint(*spec.quantity)))
    return charges


def report_results(org: AnthropicOrganization, day: date, *, by_workspace: bool = True,
                   by_description: bool = True, revision: int = 0) -> list[ReportResult]:
    """The results of one daily bucket, grouped as requested (exact decimal sums)."""
    groups: dict[tuple[str | None, str | None], Decimal] = {}
    for workspace_id in scopes(org):
        for name, cents in daily_charges(org, workspace_id, day, revision):
            key = (workspace_id if by_workspace else None, name if by_description else None)
            groups[key] = add(groups.get(key, ZERO), cents)
    return [ReportResult(workspace_id=w, description=d, amount_cents=amount,
                         fields=DESCRIPTIONS.get(d) if d else None)
            for (w, d), amount in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or ""))]


def cents_text(amount: Decimal) -> str:
    """Cents as the report writes them: a plain decimal string, never an exponent."""
    return f"{amount:f}"


def expected_anthropic_costs(
    config: SimulatorConfig, org_id: str, start: date, end: date, workspace_ids: Iterable[str] | None = None,
    revision: int = 0,
) -> tuple[dict[tuple[date, str, str, str], Decimal], dict[str, Decimal]]:
    """What a collector keeps and skips for ``[start, end)``, in dollars.

    Kept: totals per (usage_date, workspace ID or ``default``, description, ``usd``) of the registered
    ``workspace_ids`` (every workspace when ``None``). Skipped: totals per unregistered workspace.
    """
    org = config.anthropic_organization(org_id)
    wanted = None if workspace_ids is None else set(workspace_ids)
    kept: dict[tuple[date, str, str, str], Decimal] = {}
    skipped: dict[str, Decimal] = {}
    for day in days(start, end):
        for result in report_results(org, day, revision=revision):
            scope = result.workspace_id or DEFAULT_WORKSPACE
            dollars = Decimal(cents_text(result.amount_cents)).scaleb(-2, EXACT)
            if wanted is None or scope in wanted:
                key = (day, scope, result.description or "", CURRENCY.lower())
                kept[key] = add(kept.get(key, ZERO), dollars)
            else:
                skipped[scope] = add(skipped.get(scope, ZERO), dollars)
    return kept, skipped

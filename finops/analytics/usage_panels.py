"""The overview's and team page's usage panels: tokens and requests by model, cost per 1M tokens over time,
cache hit rate and savings, and the change explained (volume, mix, price).

Read through ``finops.usage.report`` in one statement per page (``include/sql/usage/page_segments.sql``: the
figures of ``segments.sql``, cost and tokens meeting per day, model and token kind). Unit costs are divisions, so estimates; token cost without usage and tokens without cost are kept
apart and never divided. Nothing here knows about HTML.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from finops.analytics.report import Period
from finops.money import EXACT, ZERO, exact_sum
from finops.usage.report import KIND_COLUMN, Explained, Segment, explain_segments, page_segments
from finops.usage.unit_costs import cache_hit_rate, cache_savings, per_million, per_request

if TYPE_CHECKING:
    import psycopg

#: Models drawn in the cost per 1M tokens chart (the most tokens first); the table has every model.
CHART_MODELS = 6
#: Teams listed in the overview's change explained (the biggest changes); ``finops report --explain`` has all.
TOP_CHANGES = 10
WRITE_KINDS = ("cache write 5m", "cache write 1h", "cache write")


@dataclass(slots=True)
class ModelUsage:
    """One model over the period: its tokens per kind, requests, the token cost that meets usage, and its rates."""

    model: str | None
    requests: int | None = None
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    matched_cost: Decimal = ZERO
    matched_tokens: int = 0
    input_cost: Decimal = ZERO
    input_matched: int = 0
    cached_cost: Decimal = ZERO
    cached_matched: int = 0
    cost_without_usage: Decimal = ZERO
    tokens_without_cost: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens + self.output_tokens

    @property
    def cost_per_1m(self) -> Decimal | None:
        return per_million(self.matched_cost, self.matched_tokens)

    @property
    def cost_per_request(self) -> Decimal | None:
        return per_request(self.matched_cost, self.requests)

    @property
    def cache_hit_rate(self) -> Decimal | None:
        return cache_hit_rate(self.input_tokens, self.cache_read_tokens, self.cache_write_tokens)

    @property
    def cache_savings(self) -> Decimal | None:
        if not self.cached_matched:
            return None
        return cache_savings(self.input_cost, self.input_matched, self.cached_cost, self.cached_matched)


@dataclass(frozen=True, slots=True)
class UnitSeries:
    """One model's cost per 1M tokens per day (None: no token of that day met its cost)."""

    key: str | None
    label: str
    values: list[Decimal | None]
    other: bool = False


@dataclass
class UsagePanels:
    """Everything the usage panels show for one period, provider and team (or every team)."""

    period: Period
    previous: Period
    team_id: str | None
    currency: str
    models: list[ModelUsage]
    days: list[date]
    unit_series: list[UnitSeries]
    explained: Explained
    explained_by: str
    changes_count: int
    non_token_cost: Decimal
    changes: list = field(default_factory=list)

    @property
    def requests(self) -> int | None:
        known = [m.requests for m in self.models if m.requests is not None]
        return sum(known) if known else None

    @property
    def tokens(self) -> int:
        return sum(m.tokens for m in self.models)

    @property
    def cache_hit_rate(self) -> Decimal | None:
        return cache_hit_rate(sum(m.input_tokens for m in self.models), sum(m.cache_read_tokens for m in self.models),
                              sum(m.cache_write_tokens for m in self.models))

    @property
    def cache_savings(self) -> Decimal | None:
        """The models' estimated savings added up (an estimate: plain arithmetic), None when no model has one."""
        known = [m.cache_savings for m in self.models if m.cache_savings is not None]
        return exact_sum(known) if known else None

    @property
    def cost_without_usage(self) -> list[ModelUsage]:
        return [m for m in self.models if m.cost_without_usage]

    @property
    def usage_without_cost(self) -> list[ModelUsage]:
        return [m for m in self.models if m.tokens_without_cost]

    @property
    def cost_without_usage_total(self) -> Decimal:
        return exact_sum(m.cost_without_usage for m in self.models)

    @property
    def tokens_without_cost_total(self) -> int:
        return sum(m.tokens_without_cost for m in self.models)


def _add(model: ModelUsage, s: Segment) -> None:
    """Fold one (model, token kind) segment into its model's figures."""
    if s.requests is not None:
        model.requests = (model.requests or 0) + s.requests
    if s.token_kind is None:
        return  # a non-token cost of the model (images, audio seconds): no token unit
    column = KIND_COLUMN.get(s.token_kind)
    if column:
        setattr(model, column, getattr(model, column) + s.tokens)
    model.matched_cost = EXACT.add(model.matched_cost, s.matched_cost)
    model.matched_tokens += s.matched_tokens
    model.cost_without_usage = EXACT.add(model.cost_without_usage, s.cost_without_usage)
    model.tokens_without_cost += s.tokens_without_cost
    if s.token_kind == "input":
        model.input_cost = EXACT.add(model.input_cost, s.matched_cost)
        model.input_matched += s.matched_tokens
    elif s.token_kind == "cached input":
        model.cached_cost = EXACT.add(model.cached_cost, s.matched_cost)
        model.cached_matched += s.matched_tokens


def build_usage_panels(conn: psycopg.Connection, period: Period, previous: Period, *, currency: str = "usd",
                       provider: str | None = None, team_id: str | None = None,
                       teams: list[str] | None = None) -> UsagePanels:
    """The panels' figures for ``period`` (the change against ``previous``), for ``teams`` (None: every team) or
    ``team_id``."""
    by = ("model",) if team_id else ("team_id",)
    read = page_segments(conn, period, previous, by, provider=provider, team_id=team_id, teams=teams)
    daily = read.daily
    days = [date.fromordinal(d) for d in range(period.start.toordinal(), period.end.toordinal())]
    per_model: dict[str | None, ModelUsage] = {}
    per_day: dict[tuple[str | None, date], list[Decimal | int]] = defaultdict(lambda: [ZERO, 0])
    non_token = ZERO
    for s in daily:
        day, model = s.key
        if s.token_kind is None:
            non_token = EXACT.add(non_token, s.cost)  # images, tools, storage: spend without a token unit
            continue
        _add(per_model.setdefault(model, ModelUsage(model=model)), s)
        if s.matched_tokens:
            cell = per_day[(model, day)]
            cell[0], cell[1] = EXACT.add(cell[0], s.matched_cost), cell[1] + s.matched_tokens
    # Models with neither tokens nor requests (tools, storage) are not usage: the spend panels show them.
    models = sorted((m for m in per_model.values() if m.tokens or m.requests or m.matched_cost or m.cost_without_usage),
                    key=lambda m: (-m.tokens, m.model or ""))
    unit_series = [UnitSeries(key=m.model, label=m.model or "no model",
                              values=[per_million(*per_day[(m.model, d)]) if (m.model, d) in per_day else None
                                      for d in days])
                   for m in models if m.matched_tokens][:CHART_MODELS]
    explained = explain_segments(previous, period, by, read.previous, read.current)
    changes = sorted(explained.rows, key=lambda kc: (-abs(kc[1].change), tuple(str(v) for v in kc[0])))
    return UsagePanels(period=period, previous=previous, team_id=team_id, currency=currency, models=models,
                       days=days, unit_series=unit_series, explained=explained, explained_by=by[0],
                       changes_count=len(changes), non_token_cost=non_token, changes=changes[:TOP_CHANGES])


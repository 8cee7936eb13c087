"""Anthropic's costs per API key, allocated: the cost report has no key, the usage report has tokens per key.

Each cost row of a token kind (a workspace's cost of a day, model and token type) is split over the keys that
used tokens of that kind in that workspace, day and model, in proportion to those tokens, with
:func:`finops.money.allocate` (largest remainder at 10 decimal places of a dollar, or the amount's own finer
digit), so the parts add up to the billed amount exactly. Parts are marked ``allocated``. A row with no tokens
behind it (web search, code execution, a day without usage) stays as billed: ``api_key_id`` None, not allocated.
Usage without a key (the Console/Workbench) takes its share under a None key, allocated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date

from finops.costs.models import CostRow
from finops.money import allocate

#: The cost report's ``token_type`` -> the usage row's token column of the same kind.
TOKEN_COLUMNS = {
    "uncached_input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_input_tokens": "cache_read_tokens",
    "cache_creation.ephemeral_5m_input_tokens": "cache_write_5m_tokens",
    "cache_creation.ephemeral_1h_input_tokens": "cache_write_1h_tokens",
}

Weights = dict[tuple[date, str, str, str], dict[str | None, int]]


def token_weights(usage_rows: Iterable) -> Weights:
    """Tokens per key, per (day, workspace, model, token type), from the usage rows."""
    weights: Weights = defaultdict(lambda: defaultdict(int))
    for row in usage_rows:
        if not row.model:
            continue
        for token_type, column in TOKEN_COLUMNS.items():
            tokens = getattr(row, column) or 0
            if tokens > 0:
                weights[(row.usage_date, row.project_id, row.model, token_type)][row.api_key_id] += tokens
    return weights


def allocate_rows(rows: Iterable[CostRow], usage_rows: Iterable) -> Iterator[CostRow]:
    """The cost rows with each token row split over its keys (exact parts, ``allocated``); others unchanged."""
    weights = token_weights(usage_rows)
    for row in rows:
        by_key = weights.get((row.usage_date, row.project_id, row.model, row.token_type)) if row.token_type else None
        if not by_key:
            yield row
            continue
        keys = sorted(by_key, key=lambda k: (k is None, k or ""))
        for key_id, part in zip(keys, allocate(row.amount, [by_key[k] for k in keys]), strict=True):
            if part or len(keys) == 1:
                yield row._replace(amount=part, api_key_id=key_id, allocated=True)

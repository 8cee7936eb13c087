"""One usage vocabulary across providers: a usage row per (day, scope, endpoint, key, model, tier, batch, context)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

#: OpenAI's usage endpoints (``/v1/organization/usage/{endpoint}``) the collector knows, in calling order.
OPENAI_ENDPOINTS = ("completions", "embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions",
                    "vector_stores", "code_interpreter_sessions", "web_search_calls", "file_search_calls")
#: Anthropic's usage report endpoint (``/v1/organizations/usage_report/messages``).
ANTHROPIC_ENDPOINTS = ("messages",)
ENDPOINTS = {"openai": OPENAI_ENDPOINTS, "anthropic": ANTHROPIC_ENDPOINTS}

#: Token kinds as cost line items name them (finops.analytics.line_items), and the usage column of each.
TOKEN_KINDS = {
    "input": "input_tokens",
    "cached input": "cache_read_tokens",
    "cache write 5m": "cache_write_5m_tokens",
    "cache write 1h": "cache_write_1h_tokens",
    "cache write": "cache_write_other_tokens",
    "output": "output_tokens",
    "audio input": "input_audio_tokens",
    "audio output": "output_audio_tokens",
}


class UsageRow(NamedTuple):
    """One normalised usage result of a daily bucket; token counts are disjoint (input excludes cached tokens).

    ``project_id`` is the OpenAI project (``unassigned`` when the API gives none) or the Anthropic
    workspace (``default``). ``cache_write_tokens`` is every cache write; the 5-minute and 1-hour parts
    are kept apart where the provider reports them. Non-token units (images, seconds, characters,
    bytes, sessions, web search requests) go in ``quantity`` with their ``quantity_unit``.
    """

    usage_date: date
    project_id: str
    endpoint: str
    api_key_id: str | None = None
    model: str | None = None
    service_tier: str | None = None
    batch: bool | None = None
    context_window: str | None = None
    requests: int | None = None
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_5m_tokens: int | None = None
    cache_write_1h_tokens: int | None = None
    output_tokens: int = 0
    input_audio_tokens: int = 0
    output_audio_tokens: int = 0
    quantity: Decimal | None = None
    quantity_unit: str | None = None

    @property
    def key(self) -> tuple:
        """The natural key within a team and provider."""
        return (self.usage_date, self.project_id, self.endpoint, self.api_key_id, self.model, self.service_tier,
                self.batch, self.context_window)


#: The loader's column order (include/sql/usage/copy_usage_rows.sql) after team_id and provider.
COLUMNS = UsageRow._fields

"""Each usage endpoint's result, in the shapes of the providers' references, into the one vocabulary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from finops.usage.normalize import UsageShapeError, anthropic_result, bucket_day, openai_result, page_rows

DAY = date(2024, 11, 1)


def test_openai_completions_input_tokens_include_cached_ones_and_are_normalised_to_uncached():
    result = {"object": "organization.usage.completions.result", "input_tokens": 1000, "output_tokens": 500,
              "input_cached_tokens": 800, "input_audio_tokens": 0, "output_audio_tokens": 0,
              "num_model_requests": 5, "project_id": None, "user_id": None, "api_key_id": None, "model": None,
              "batch": None}
    row = openai_result("completions", DAY, result)
    assert (row.input_tokens, row.cache_read_tokens, row.output_tokens, row.requests) == (200, 800, 500, 5)
    assert row.project_id == "unassigned" and row.model is None and row.batch is None


def test_openai_newer_fields_cache_writes_and_uncached_tokens_are_read_when_sent():
    grouped = {"input_tokens": 1000, "input_cached_tokens": 600, "input_cache_write_tokens": 100,
               "output_tokens": 3, "num_model_requests": 1, "project_id": "proj_a", "model": "gpt-4.1",
               "batch": True, "service_tier": "flex", "api_key_id": "key_1"}
    row = openai_result("completions", DAY, grouped)
    assert (row.input_tokens, row.cache_read_tokens, row.cache_write_tokens) == (300, 600, 100)
    assert (row.project_id, row.model, row.batch, row.service_tier, row.api_key_id) == (
        "proj_a", "gpt-4.1", True, "flex", "key_1")
    assert openai_result("completions", DAY, {**grouped, "input_uncached_tokens": 250}).input_tokens == 250
    with pytest.raises(UsageShapeError, match="less than its cached"):
        openai_result("completions", DAY, {"input_tokens": 10, "input_cached_tokens": 11})


@pytest.mark.parametrize(("endpoint", "result", "expected"), [
    ("embeddings", {"object": "organization.usage.embeddings.result", "input_tokens": 16, "num_model_requests": 2,
                    "model": "text-embedding-3-small"}, (16, 2, None, None)),
    ("moderations", {"object": "organization.usage.moderations.result", "input_tokens": 16,
                     "num_model_requests": 2}, (16, 2, None, None)),
    ("images", {"object": "organization.usage.images.result", "images": 2, "num_model_requests": 2,
                "size": None, "source": None}, (0, 2, Decimal(2), "images")),
    ("audio_speeches", {"object": "organization.usage.audio_speeches.result", "characters": 45,
                        "num_model_requests": 1}, (0, 1, Decimal(45), "characters")),
    ("audio_transcriptions", {"object": "organization.usage.audio_transcriptions.result", "seconds": 20,
                              "num_model_requests": 1}, (0, 1, Decimal(20), "seconds")),
    ("vector_stores", {"object": "organization.usage.vector_stores.result", "usage_bytes": 1024,
                       "project_id": "proj_x"}, (0, None, Decimal(1024), "bytes")),
    ("code_interpreter_sessions", {"object": "organization.usage.code_interpreter_sessions.result",
                                   "num_sessions": 2}, (0, None, Decimal(2), "sessions")),
    ("code_interpreter_sessions", {"sessions": 3}, (0, None, Decimal(3), "sessions")),
    ("web_search_calls", {"object": "organization.usage.web_searches.result", "num_requests": 7,
                          "num_model_requests": 4, "model": "gpt-4.1", "context_level": None,
                          "api_key_id": "key_w"}, (0, None, Decimal(7), "calls")),  # its requests are completions'

    ("file_search_calls", {"object": "organization.usage.file_searches.result", "num_requests": 5,
                           "vector_store_id": None, "api_key_id": "key_f"}, (0, None, Decimal(5), "calls")),
])
def test_openai_endpoints_map_their_units(endpoint, result, expected):
    row = openai_result(endpoint, DAY, result)
    assert (row.input_tokens, row.requests, row.quantity, row.quantity_unit) == expected
    assert row.endpoint == endpoint


def test_anthropic_uncached_input_is_kept_and_cache_writes_are_split():
    result = {"uncached_input_tokens": 1500, "cache_creation": {"ephemeral_1h_input_tokens": 1000,
                                                                "ephemeral_5m_input_tokens": 500},
              "cache_read_input_tokens": 200, "output_tokens": 500, "server_tool_use": {"web_search_requests": 10},
              "api_key_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT", "workspace_id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
              "model": "claude-sonnet-4-20250514", "service_tier": "standard", "context_window": "0-200k"}
    row = anthropic_result(DAY, result)
    assert (row.input_tokens, row.cache_read_tokens, row.cache_write_tokens, row.cache_write_5m_tokens,
            row.cache_write_1h_tokens, row.output_tokens) == (1500, 200, 1500, 500, 1000, 500)
    assert (row.quantity, row.quantity_unit, row.requests, row.endpoint) == (Decimal(10), "web_search_requests",
                                                                            None, "messages")
    assert (row.project_id, row.context_window, row.batch) == ("wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ", "0-200k", False)
    ungrouped = anthropic_result(DAY, {"uncached_input_tokens": 1, "cache_creation": None, "output_tokens": 0,
                                       "workspace_id": None})
    assert ungrouped.project_id == "default" and ungrouped.cache_write_tokens == 0 and ungrouped.quantity is None


def test_pages_buckets_and_bad_counts():
    assert bucket_day({"start_time": 1730419200}) == DAY
    assert bucket_day({"starting_at": "2024-11-01T00:00:00Z"}) == DAY
    body = {"object": "page", "data": [{"object": "bucket", "start_time": 1730419200, "end_time": 1730505600,
                                       "results": [{"input_tokens": 5, "output_tokens": 1, "num_model_requests": 1}]},
                                      {"object": "bucket", "start_time": 1730505600, "results": []}],
            "has_more": True, "next_page": "page_AAA"}
    rows, more, cursor = page_rows("openai", "completions", body)
    assert len(rows) == 1 and more and cursor == "page_AAA"
    assert page_rows("openai", "completions", {"data": [], "has_more": False, "next_page": None})[1:] == (False, None)
    with pytest.raises(UsageShapeError):
        page_rows("openai", "completions", {"data": [{"start_time": 1730419200, "results": [{"input_tokens": 1.5}]}]})
    with pytest.raises(UsageShapeError):
        page_rows("anthropic", "messages", {"results": []})

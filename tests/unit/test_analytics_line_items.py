"""The line item parser, table-driven over every shape in the providers' reference, plus unknown shapes."""

from __future__ import annotations

import pytest

from finops.analytics.line_items import LONG_CONTEXT, from_anthropic_fields, model_family, parse

# (line item, model, family, token kind, tier, context, cost kind, qualifier, recognized)
OPENAI_SHAPES = [
    ("gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06", "gpt-4o", "input", "standard", None, "tokens", None, True),
    ("gpt-4o-2024-08-06, output", "gpt-4o-2024-08-06", "gpt-4o", "output", "standard", None, "tokens", None, True),
    ("gpt-4.1-2025-04-14, cached input", "gpt-4.1-2025-04-14", "gpt-4.1", "cached input", "standard", None,
     "tokens", None, True),
    ("ft-gpt-4o-2024-08-06, input", "ft-gpt-4o-2024-08-06", "gpt-4o", "input", "standard", None, "tokens", None,
     True),
    ("gpt-audio-mini-2025-12-15 audio, input", "gpt-audio-mini-2025-12-15", "gpt-audio-mini", "audio input",
     "standard", None, "tokens", None, True),
    ("gpt-image-2.5-sunburst text, cached input", "gpt-image-2.5-sunburst", "gpt-image-2.5-sunburst",
     "cached input", "standard", None, "tokens", None, True),
    ("priority | gpt-5.6-sol, output, long context", "gpt-5.6-sol", "gpt-5.6-sol", "output", "priority",
     LONG_CONTEXT, "tokens", None, True),
    ("batch | gpt-4o-mini-2024-07-18, output", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", "output", "batch", None,
     "tokens", None, True),
    ("evals | gpt-4o-mini-2024-07-18, input", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", "input", "standard", None,
     "tokens", "evals", True),
    ("flex | o3-2025-04-16, input", "o3-2025-04-16", "o3", "input", "flex", None, "tokens", None, True),
    ("assistants api | file search", None, None, None, "standard", None, "tool calls", "assistants api", True),
    ("web search tool calls", None, None, None, "standard", None, "tool calls", None, True),
    ("Vector storage", None, None, None, "standard", None, "storage", None, True),
    ("whisper-1", "whisper-1", "whisper-1", None, "standard", None, "audio", None, True),
    ("whisper-1, audio", "whisper-1", "whisper-1", None, "standard", None, "audio", None, True),
    ("dall-e-3", "dall-e-3", "dall-e-3", None, "standard", None, "images", None, True),
    ("text-embedding-3-small", "text-embedding-3-small", "text-embedding-3-small", "input", "standard", None,
     "tokens", None, True),
    ("Text tokens", None, None, None, "standard", None, "tokens", None, True),
    # fine-tunes in the colon form keep their base family
    ("ft:gpt-4o-mini-2024-07-18:acme::9xYz, output", "ft:gpt-4o-mini-2024-07-18:acme::9xYz", "gpt-4o-mini",
     "output", "standard", None, "tokens", None, True),
    ("gpt-4-0613, input", "gpt-4-0613", "gpt-4", "input", "standard", None, "tokens", None, True),
    # extra spaces are not a new shape
    ("  gpt-4o-2024-08-06 ,  input ", "gpt-4o-2024-08-06", "gpt-4o", "input", "standard", None, "tokens", None,
     True),
]

# Shapes nobody has seen: a null model, the raw string stays the key, never an error.
UNKNOWN_SHAPES = ["", " ", ",", "|", "Something entirely new", "gpt-4o, input, output, more", "Ünïcode ☃ item",
                  "gpt 4o weird spaces, input", "a" * 5000, "batch | ", "x | y | z"]


@pytest.mark.parametrize(("line_item", "model", "family", "token_kind", "tier", "context", "cost_kind",
                          "qualifier", "recognized"), OPENAI_SHAPES, ids=[s[0] for s in OPENAI_SHAPES])
def test_openai_shapes(line_item, model, family, token_kind, tier, context, cost_kind, qualifier, recognized):
    dims = parse("openai", line_item)
    assert (dims.model, dims.model_family, dims.token_kind, dims.tier, dims.context, dims.cost_kind,
            dims.qualifier, dims.recognized) == (model, family, token_kind, tier, context, cost_kind, qualifier,
                                                 recognized)


@pytest.mark.parametrize("line_item", UNKNOWN_SHAPES)
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_unknown_shapes_give_a_null_model_and_no_error(provider, line_item):
    dims = parse(provider, line_item)
    assert dims.model is None and dims.recognized is False and dims.cost_kind == "other"


def test_a_known_model_with_an_unknown_piece_keeps_the_model_but_is_not_recognized():
    dims = parse("openai", "gpt-4o-2024-08-06, reasoning scratchpad")
    assert (dims.model, dims.model_family, dims.token_kind, dims.recognized) == (
        "gpt-4o-2024-08-06", "gpt-4o", None, False)


ANTHROPIC_DESCRIPTIONS = [
    ("Claude Sonnet 4 Usage - Input Tokens", "claude-sonnet-4", "input", "standard", None, "tokens", True),
    ("Claude Sonnet 4 Usage - Output Tokens", "claude-sonnet-4", "output", "standard", None, "tokens", True),
    ("Claude Opus 4.1 Usage - Cache Read", "claude-opus-4-1", "cached input", "standard", None, "tokens", True),
    ("Claude 3.5 Haiku Usage - Cache Write (5m)", "claude-3-5-haiku", "cache write 5m", "standard", None,
     "tokens", True),
    ("Claude Sonnet 4 Usage - Input Tokens, Batch", "claude-sonnet-4", "input", "batch", None, "tokens", True),
    ("Claude Sonnet 4 Usage - Input Tokens (Long Context)", "claude-sonnet-4", "input", "standard", LONG_CONTEXT,
     "tokens", True),
    ("Code Execution Usage", None, None, "standard", None, "tool calls", True),
    ("Web Search Usage", None, None, "standard", None, "tool calls", True),
]


@pytest.mark.parametrize(("description", "model", "token_kind", "tier", "context", "cost_kind", "recognized"),
                         ANTHROPIC_DESCRIPTIONS, ids=[s[0] for s in ANTHROPIC_DESCRIPTIONS])
def test_anthropic_descriptions_best_effort(description, model, token_kind, tier, context, cost_kind, recognized):
    dims = parse("anthropic", description)
    assert (dims.model, dims.token_kind, dims.tier, dims.context, dims.cost_kind, dims.recognized) == (
        model, token_kind, tier, context, cost_kind, recognized)


ANTHROPIC_FIELDS = [
    # (model, token_type, service_tier, context_window, cost_type) -> (family, token kind, tier, context, kind)
    (("claude-sonnet-4-20250514", "uncached_input_tokens", "standard", "0-200k", "tokens"),
     ("claude-sonnet-4", "input", "standard", None, "tokens")),
    (("claude-sonnet-4-20250514", "output_tokens", "batch", "0-200k", "tokens"),
     ("claude-sonnet-4", "output", "batch", None, "tokens")),
    (("claude-opus-4-20250514", "cache_read_input_tokens", "standard", "200k-1M", "tokens"),
     ("claude-opus-4", "cached input", "standard", LONG_CONTEXT, "tokens")),
    (("claude-3-5-haiku-20241022", "cache_creation.ephemeral_1h_input_tokens", "standard", None, "tokens"),
     ("claude-3-5-haiku", "cache write 1h", "standard", None, "tokens")),
    (("claude-3-5-haiku-20241022", "cache_creation.ephemeral_5m_input_tokens", "standard", None, "tokens"),
     ("claude-3-5-haiku", "cache write 5m", "standard", None, "tokens")),
    ((None, None, None, None, "web_search"), (None, None, "standard", None, "tool calls")),
    ((None, None, None, None, "code_execution"), (None, None, "standard", None, "tool calls")),
]


@pytest.mark.parametrize(("fields", "expected"), ANTHROPIC_FIELDS)
def test_anthropic_structured_fields(fields, expected):
    model, token_type, service_tier, context_window, cost_type = fields
    dims = from_anthropic_fields(model=model, token_type=token_type, service_tier=service_tier,
                                 context_window=context_window, cost_type=cost_type)
    assert dims.model == model
    assert (dims.model_family, dims.token_kind, dims.tier, dims.context, dims.cost_kind) == expected
    assert dims.recognized


def test_unknown_structured_token_type_is_kept_unrecognized():
    dims = from_anthropic_fields(model="claude-x", token_type="brand_new_tokens", service_tier="turbo",
                                 context_window=None, cost_type="tokens")
    assert (dims.token_kind, dims.tier, dims.recognized) == (None, "standard", False)


@pytest.mark.parametrize(("model", "family"), [
    ("gpt-4o-2024-08-06", "gpt-4o"), ("ft-gpt-4o-2024-08-06", "gpt-4o"), ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
    ("o1", "o1"), ("ft:gpt-4.1-2025-04-14:org:custom:abc", "gpt-4.1"), ("claude-sonnet-4-20250514",
                                                                          "claude-sonnet-4"),
])
def test_model_family(model, family):
    assert model_family(model) == family

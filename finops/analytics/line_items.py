"""Best-effort parser of a provider's line item into dimensions (model, family, token kind, tier, context, kind).

Pure functions, no I/O. An unknown shape gives a null model and ``recognized=False``, never an error; the
raw string stays the key of the data (``finops.line_items``), so an improved parser is a cheap re-parse.
Bump :data:`PARSER_VERSION` whenever a result can change.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

PARSER_VERSION = 1

TIERS = ("standard", "batch", "priority", "flex")
COST_KINDS = ("tokens", "images", "audio", "video", "storage", "tool calls", "other")
LONG_CONTEXT = "long context"
MAX_MODEL_LENGTH = 120

_TOKEN_PIECES = {
    "input": "input",
    "output": "output",
    "cached input": "cached input",
    "cached_input": "cached input",
    "input cached": "cached input",
}
_MODALITIES = ("text", "audio", "image", "video")
_MODEL = re.compile(r"^(?:ft[-:])?[a-z][a-z0-9]*(?:[-.:_]+[a-z0-9]+)*$")
_SNAPSHOT = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$")

#: Line items without a model, by their lower-cased text (or the part after ``qualifier |``).
_NON_MODEL = {
    "file search": "tool calls",
    "file search tool calls": "tool calls",
    "web search": "tool calls",
    "web search tool calls": "tool calls",
    "code interpreter": "tool calls",
    "code interpreter sessions": "tool calls",
    "computer use": "tool calls",
    "computer use tool calls": "tool calls",
    "vector storage": "storage",
    "file storage": "storage",
    "storage": "storage",
    "text tokens": "tokens",
}

#: What a model bills for when its line item names no token piece, by family prefix.
_FAMILY_KIND = (
    ("whisper", "audio"), ("tts", "audio"), ("gpt-4o-transcribe", "audio"), ("gpt-4o-mini-transcribe", "audio"),
    ("dall-e", "images"), ("sora", "video"),
    ("text-embedding", "tokens"), ("omni-moderation", "tokens"), ("text-moderation", "tokens"),
)


@dataclass(frozen=True, slots=True)
class LineItemDims:
    """The dimensions of one raw line item; ``recognized`` is false for a shape the parser does not know."""

    model: str | None
    model_family: str | None
    token_kind: str | None
    tier: str
    context: str | None
    cost_kind: str
    qualifier: str | None
    recognized: bool

    def as_row(self) -> dict[str, object]:
        return asdict(self)


UNKNOWN = LineItemDims(model=None, model_family=None, token_kind=None, tier="standard", context=None,
                       cost_kind="other", qualifier=None, recognized=False)


def model_family(model: str) -> str:
    """``gpt-4o-2024-08-06`` -> ``gpt-4o``; fine-tunes (``ft-...``, ``ft:base:org::id``) keep their base family."""
    base = model
    if base.startswith("ft:"):
        base = base.split(":")[1] or base
    elif base.startswith("ft-"):
        base = base[3:]
    return _SNAPSHOT.sub("", base) or base


def _kind_of_model(family: str) -> str | None:
    for prefix, kind in _FAMILY_KIND:
        if family.startswith(prefix):
            return kind
    return None


def parse_openai(line_item: str) -> LineItemDims:
    """``[<qualifier> | ]<model>[ <modality>], <piece>[, <context>]`` and the known model-less items."""
    text = " ".join(line_item.split())
    tier, qualifier = "standard", None
    if "|" in text:
        head, _, text = text.partition("|")
        head, text = head.strip().lower(), text.strip()
        if head in TIERS:
            tier = head
        elif head:
            qualifier = head
    parts = [p.strip() for p in text.split(",")]
    subject, pieces = parts[0], [p.lower() for p in parts[1:] if p]
    context = LONG_CONTEXT if LONG_CONTEXT in pieces else None
    pieces = [p for p in pieces if p != LONG_CONTEXT]
    for piece in list(pieces):
        if piece in TIERS and piece != "standard":
            tier = piece
            pieces.remove(piece)

    known = _NON_MODEL.get(subject.lower())
    if known and not pieces:
        return LineItemDims(model=None, model_family=None, token_kind=None, tier=tier, context=context,
                            cost_kind=known, qualifier=qualifier, recognized=True)

    words = subject.split(" ")
    modality = None
    if len(words) == 2 and words[1].lower() in _MODALITIES:
        modality = words[1].lower()
    elif len(words) != 1:
        return _unknown(tier, qualifier)
    model = words[0]
    if len(model) > MAX_MODEL_LENGTH or not _MODEL.match(model.lower()):
        return _unknown(tier, qualifier)
    family = model_family(model)

    if len(pieces) > 1:
        return _unknown(tier, qualifier)
    piece = pieces[0] if pieces else None
    token = _TOKEN_PIECES.get(piece) if piece else None
    if token:
        token_kind = token if modality in (None, "text") else f"{modality} {token}"
        return LineItemDims(model=model, model_family=family, token_kind=token_kind, tier=tier, context=context,
                            cost_kind="tokens", qualifier=qualifier, recognized=True)
    family_kind = _kind_of_model(family.lower())
    if piece is None:
        if family_kind is None:
            return _unknown(tier, qualifier)  # a bare word: not enough to call it a model
        return LineItemDims(model=model, model_family=family, token_kind="input" if family_kind == "tokens" else None,
                            tier=tier, context=context, cost_kind=family_kind, qualifier=qualifier, recognized=True)
    if piece in ("audio", "audio seconds", "seconds", "minutes", "characters"):
        return LineItemDims(model=model, model_family=family, token_kind=None, tier=tier, context=context,
                            cost_kind="audio", qualifier=qualifier, recognized=True)
    if piece in ("image", "images", "image generation"):
        return LineItemDims(model=model, model_family=family, token_kind=None, tier=tier, context=context,
                            cost_kind="images", qualifier=qualifier, recognized=True)
    # A model we know with a piece we do not: keep the model, leave the token kind open.
    return LineItemDims(model=model, model_family=family, token_kind=None, tier=tier, context=context,
                        cost_kind=family_kind or "other", qualifier=qualifier, recognized=False)


def _unknown(tier: str, qualifier: str | None) -> LineItemDims:
    return LineItemDims(model=None, model_family=None, token_kind=None, tier=tier, context=None, cost_kind="other",
                        qualifier=qualifier, recognized=False)


# --- Anthropic -------------------------------------------------------------------------------------------

_ANTHROPIC_TOKEN_TYPES = {
    "uncached_input_tokens": "input",
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_read_input_tokens": "cached input",
    "cache_creation.ephemeral_5m_input_tokens": "cache write 5m",
    "cache_creation.ephemeral_1h_input_tokens": "cache write 1h",
    "cache_creation_input_tokens": "cache write",
}
_ANTHROPIC_COST_TYPES = {"tokens": "tokens", "web_search": "tool calls", "code_execution": "tool calls",
                         "session_usage": "other"}
_ANTHROPIC_USAGE = re.compile(r"^(?P<model>claude[\w .-]*?)\s+usage\s*(?:-\s*(?P<piece>.+))?$", re.IGNORECASE)
_ANTHROPIC_PIECES = (
    ("cache read", "cached input"),
    ("cached input", "cached input"),
    ("cache write", "cache write"),
    ("cache creation", "cache write"),
    ("input", "input"),
    ("output", "output"),
)
_ANTHROPIC_TOOLS = {"web search usage": "tool calls", "code execution usage": "tool calls",
                    "web fetch usage": "tool calls"}


def _anthropic_family(model: str) -> str:
    """``claude-sonnet-4-20250514`` -> ``claude-sonnet-4``."""
    return _SNAPSHOT.sub("", model)


def parse_anthropic(description: str) -> LineItemDims:
    """Best effort on the cost report's ``description`` (``Claude Sonnet 4 Usage - Input Tokens``).

    The report also carries ``model``, ``token_type``, ``service_tier`` and ``context_window`` directly;
    when those are stored with the cost rows, :func:`from_anthropic_fields` is exact and preferred.
    """
    text = " ".join(description.split())
    lower = text.lower()
    tier = "batch" if re.search(r"\bbatch\b", lower) else "standard"
    context = LONG_CONTEXT if "long context" in lower or "200k-1m" in lower else None
    tool = _ANTHROPIC_TOOLS.get(lower)
    if tool:
        return LineItemDims(model=None, model_family=None, token_kind=None, tier=tier, context=context,
                            cost_kind=tool, qualifier=None, recognized=True)
    match = _ANTHROPIC_USAGE.match(re.sub(r"\s*[,(]\s*(batch|long context)\)?", "", text, flags=re.IGNORECASE))
    if not match:
        return _unknown(tier, None)
    slug = "-".join(match["model"].lower().replace(".", "-").split())
    piece = (match["piece"] or "").lower()
    token_kind = next((kind for needle, kind in _ANTHROPIC_PIECES if needle in piece), None)
    if token_kind == "cache write":
        token_kind = "cache write 1h" if "1h" in piece else "cache write 5m" if "5m" in piece else token_kind
    return LineItemDims(model=slug, model_family=_anthropic_family(slug), token_kind=token_kind, tier=tier,
                        context=context, cost_kind="tokens", qualifier=None, recognized=token_kind is not None)


def from_anthropic_fields(*, model: str | None, token_type: str | None, service_tier: str | None,
                          context_window: str | None, cost_type: str | None) -> LineItemDims:
    """Dimensions from the cost report's structured fields (exact; no guessing from the description)."""
    tier = service_tier if service_tier in TIERS else "standard"
    context = LONG_CONTEXT if context_window and context_window.lower().startswith("200k") else None
    cost_kind = _ANTHROPIC_COST_TYPES.get(cost_type or "", "tokens" if token_type else "other")
    token_kind = _ANTHROPIC_TOKEN_TYPES.get(token_type or "") if token_type else None
    recognized = cost_kind != "other" and (token_type is None or token_kind is not None)
    return LineItemDims(model=model, model_family=_anthropic_family(model) if model else None, token_kind=token_kind,
                        tier=tier, context=context, cost_kind=cost_kind, qualifier=None, recognized=recognized)


def parse(provider: str, line_item: str) -> LineItemDims:
    """The dimensions of a provider's raw line item; never raises."""
    try:
        if provider == "anthropic":
            return parse_anthropic(line_item)
        return parse_openai(line_item)
    except Exception:  # a parser bug must never stop a load or a page: the item stays unparsed
        return UNKNOWN

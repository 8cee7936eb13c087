"""Synthetic usage behind the synthetic costs: every usage figure is derived from the day's cost charges.

OpenAI: a token line item's cost ``quantity`` is the usage endpoints' tokens of the same day, project,
model and kind (``input`` the uncached part, ``cached input`` the cached part; the completions endpoint
serves ``input_tokens`` with the cached ones included, as OpenAI does). Anthropic: a token description's
cost in cents divided by its price per token is the tokens the usage report serves. The knobs in
:class:`finops.simulator.config.UsageKnobs` leave a day out or serve it with too many output tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from finops.simulator.anthropic_data import DESCRIPTIONS, scopes
from finops.simulator.anthropic_data import daily_charges as anthropic_charges
from finops.simulator.api_keys import default_key_id, split_count
from finops.simulator.config import AnthropicOrganization, Organization
from finops.simulator.data import count_splits
from finops.simulator.randomness import unit_hash

#: OpenAI usage endpoints the simulator serves, with the ``group_by`` fields each accepts and its result fields.
OPENAI_ENDPOINTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "completions": (("project_id", "user_id", "api_key_id", "model", "batch", "service_tier"),
                    ("input_tokens", "output_tokens", "input_cached_tokens", "input_audio_tokens",
                     "output_audio_tokens", "num_model_requests")),
    "embeddings": (("project_id", "user_id", "api_key_id", "model"), ("input_tokens", "num_model_requests")),
    "moderations": (("project_id", "user_id", "api_key_id", "model"), ("input_tokens", "num_model_requests")),
    "images": (("project_id", "user_id", "api_key_id", "model", "size", "source"), ("images", "num_model_requests")),
    "audio_speeches": (("project_id", "user_id", "api_key_id", "model"), ("characters", "num_model_requests")),
    "audio_transcriptions": (("project_id", "user_id", "api_key_id", "model"), ("seconds", "num_model_requests")),
    "vector_stores": (("project_id",), ("usage_bytes",)),
    "code_interpreter_sessions": (("project_id",), ("num_sessions",)),
    "web_search_calls": (("project_id", "user_id", "api_key_id", "model", "context_level"),
                         ("num_requests", "num_model_requests")),
    "file_search_calls": (("project_id", "user_id", "api_key_id", "vector_store_id"), ("num_requests",)),
}
#: Result objects not named after their endpoint.
_OBJECTS = {"web_search_calls": "web_searches", "file_search_calls": "file_searches"}
#: Anthropic usage report ``group_by[]`` fields.
ANTHROPIC_GROUP_BY = ("api_key_id", "workspace_id", "model", "service_tier", "context_window", "inference_geo")

_BYTES_PER_GB = 1_000_000_000


@dataclass(slots=True)
class Atom:
    """The finest usage the simulator knows for a day: its dimensions and its figures."""

    dims: dict[str, object]
    figures: dict[str, int] = field(default_factory=dict)
    #: The scope the usage belongs to, for the filters (an OpenAI result may be served without its project).
    scope: str | None = None


def api_key_id(scope: str) -> str:
    """The key id of a scope the configuration gives no keys (finops.simulator.api_keys.default_key_id)."""
    return default_key_id(scope)


#: Tool-call line items and the usage endpoint that counts their calls.
_TOOL_CALLS = {"web search tool calls": "web_search_calls", "file search tool calls": "file_search_calls"}


@lru_cache(maxsize=4096)
def _openai_target(line_item: str) -> tuple[str, str | None, str, bool] | None:
    """(endpoint, model, figure, batch) a line item's quantity feeds, or None for cost without usage."""
    head, _, rest = line_item.partition(" | ") if " | " in line_item else ("", "", line_item)
    batch = head == "batch"
    if head and head not in ("batch", "evals", "assistants api"):
        return None
    if rest in _TOOL_CALLS:
        return _TOOL_CALLS[rest], None, "num_requests", False
    if head == "assistants api":
        return ("vector_stores", None, "usage_bytes", False) if rest == "file search" else None
    model, _, piece = rest.partition(", ")
    if model.startswith("text-embedding"):
        return "embeddings", model, "input_tokens", batch
    if model.startswith("whisper"):
        return "audio_transcriptions", model, "seconds", batch
    if model.startswith("dall-e"):
        return "images", model, "images", batch
    figure = {"input": "uncached", "cached input": "input_cached_tokens", "output": "output_tokens"}.get(piece)
    return ("completions", model, figure, batch) if figure else None


def openai_atoms(org: Organization, day: date, endpoint: str, revision: int = 0) -> list[Atom]:
    """The organization's finest usage of one endpoint on one day (none on a knob's missing day)."""
    if day in org.usage.missing_days:
        return []
    atoms: dict[tuple, Atom] = {}
    for project in sorted(org.projects, key=lambda p: p.id):
        for split in count_splits(org, project.id, day, revision):
            charge = split.charge
            target = _openai_target(charge.line_item)
            if target is None or target[0] != endpoint:
                continue
            _, model, figure, batch = target
            pid = None if charge.unassigned else project.id
            for key_id, count in split.counts:
                key = (project.id, pid, model, batch, key_id)
                atom = atoms.get(key)
                if atom is None:
                    dims = {"project_id": pid, "user_id": None, "api_key_id": key_id, "model": model,
                            "batch": batch, "service_tier": "batch" if batch else "default", "size": None,
                            "source": None, "context_level": None, "vector_store_id": None}
                    atom = atoms[key] = Atom(dims, scope=project.id)
                quantity = count * (_BYTES_PER_GB if figure == "usage_bytes" else 1)
                atom.figures[figure] = atom.figures.get(figure, 0) + quantity
    out = []
    for key, atom in sorted(atoms.items(), key=lambda kv: tuple(str(k) for k in kv[0])):
        f = atom.figures
        if endpoint == "completions":
            uncached, cached = f.pop("uncached", 0), f.get("input_cached_tokens", 0)
            f["input_tokens"] = uncached + cached  # OpenAI counts cached tokens in input_tokens
            f.setdefault("input_cached_tokens", 0)
            f.setdefault("output_tokens", 0)
            f["input_audio_tokens"] = f["output_audio_tokens"] = 0
            f["num_model_requests"] = _requests(org.seed, key, day, f["input_tokens"] + f["output_tokens"])
        elif endpoint == "web_search_calls":  # each call is made by a model request
            f["num_model_requests"] = _requests(org.seed, key, day, f["num_requests"], per=2)
        elif endpoint in ("embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions"):
            figure = next(iter(f))
            f["num_model_requests"] = _requests(org.seed, key, day, f[figure], per=1 if endpoint == "images" else 900)
        out.append(atom)
    if out and day in org.usage.mismatch_days and endpoint == "completions":
        out[0].figures["output_tokens"] += org.usage.mismatch_tokens
    return out


def _requests(seed: int, key: tuple, day: date, tokens: int, per: int = 2500) -> int:
    """A deterministic request count of the right order for ``tokens``."""
    return max(1, round(tokens / per * (0.5 + unit_hash(seed, *[str(k) for k in key], day, "requests"))))


def group_openai(atoms: list[Atom], endpoint: str, group_by: list[str]) -> list[dict]:
    """Atoms summed per the requested groups; fields not grouped by are null, as OpenAI serves them."""
    allowed, figures = OPENAI_ENDPOINTS[endpoint]
    groups: dict[tuple, dict] = {}
    for atom in atoms:
        dims = {f: atom.dims.get(f) if f in group_by else None for f in allowed}
        key = tuple(str(dims[f]) for f in allowed)
        result = groups.setdefault(key, {"object": f"organization.usage.{_OBJECTS.get(endpoint, endpoint)}.result",
                                         **{n: 0 for n in figures}, **dims})
        for name in figures:
            result[name] += atom.figures.get(name, 0)
    return [groups[k] for k in sorted(groups)]


_TOKEN_FIELDS = {
    "uncached_input_tokens": "uncached_input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_input_tokens": "cache_read_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens": "ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens": "ephemeral_1h_input_tokens",
}


def anthropic_atoms(org: AnthropicOrganization, day: date, revision: int = 0) -> list[Atom]:
    """The organization's finest message usage of one day: tokens = a description's cents / its cents per token."""
    if day in org.usage.missing_days:
        return []
    atoms: dict[tuple, Atom] = {}
    for workspace_id in scopes(org):
        for name, cents in anthropic_charges(org, workspace_id, day, revision):
            spec = DESCRIPTIONS.get(name)
            if spec is None or spec.cost_type != "tokens" or spec.token_type not in _TOKEN_FIELDS:
                continue
            tokens = int((cents / spec.price_cents).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
            figure = _TOKEN_FIELDS[spec.token_type]
            for key_id, count in split_count(org, workspace_id or "default", day, tokens):
                key = (workspace_id, spec.model, spec.service_tier, spec.context_window, spec.inference_geo, key_id)
                atom = atoms.get(key)
                if atom is None:
                    dims = {"workspace_id": workspace_id, "api_key_id": key_id,
                            "model": spec.model, "service_tier": spec.service_tier,
                            "context_window": spec.context_window, "inference_geo": spec.inference_geo}
                    atom = atoms[key] = Atom(dims, scope=workspace_id or "default")
                atom.figures[figure] = atom.figures.get(figure, 0) + count
    out = [atoms[k] for k in sorted(atoms, key=lambda k: tuple(str(p) for p in k))]
    if out and day in org.usage.mismatch_days:
        out[0].figures["output_tokens"] = out[0].figures.get("output_tokens", 0) + org.usage.mismatch_tokens
    return out


def group_anthropic(atoms: list[Atom], group_by: list[str]) -> list[dict]:
    """Atoms summed per the requested groups, in the usage report's result shape."""
    groups: dict[tuple, dict] = {}
    for atom in atoms:
        dims = {f: atom.dims.get(f) if f in group_by else None for f in ANTHROPIC_GROUP_BY}
        key = tuple(str(dims[f]) for f in ANTHROPIC_GROUP_BY)
        result = groups.get(key)
        if result is None:
            result = groups[key] = {
                "uncached_input_tokens": 0,
                "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
                "cache_read_input_tokens": 0, "output_tokens": 0,
                "server_tool_use": {"web_search_requests": 0}, **dims,
            }
        f = atom.figures
        for name in ("uncached_input_tokens", "cache_read_input_tokens", "output_tokens"):
            result[name] += f.get(name, 0)
        for name in ("ephemeral_1h_input_tokens", "ephemeral_5m_input_tokens"):
            result["cache_creation"][name] += f.get(name, 0)
    return [groups[k] for k in sorted(groups)]

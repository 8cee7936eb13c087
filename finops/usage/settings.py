"""The variable ``finops_usage_endpoints``: which usage endpoints a collection calls (default: all of them)."""

from __future__ import annotations

import json

from finops.errors import ConfigurationError
from finops.usage.models import ENDPOINTS

VARIABLE = "finops_usage_endpoints"
ALL = "all"


def usage_endpoints(provider: str, setting: object = ALL) -> tuple[str, ...]:
    """The provider's endpoints to call: ``all`` (or unset), ``none``, or a list (JSON or comma-separated) of names.

    Names are the endpoints' own (``completions``, ``images``, ... for OpenAI, ``messages`` for Anthropic);
    a provider gets those of its names that are listed.
    """
    known = ENDPOINTS[provider]
    if setting is None:
        return known
    if isinstance(setting, (list, tuple)):
        names = [str(n).strip() for n in setting]
    else:
        text = str(setting).strip()
        if text.lower() in ("", ALL):
            return known
        if text.lower() == "none":
            return ()
        try:
            parsed = json.loads(text) if text.startswith("[") else None
        except ValueError:
            parsed = None
        names = [str(n).strip() for n in parsed] if isinstance(parsed, list) else [n.strip() for n in text.split(",")]
    names = [n for n in names if n]
    every = {name for values in ENDPOINTS.values() for name in values}
    unknown = sorted(set(names) - every)
    if unknown:
        raise ConfigurationError(
            f"The Airflow variable `{VARIABLE}` names unknown usage endpoints ({', '.join(unknown)}); use `all`, "
            f"`none` or a comma-separated list of {', '.join(sorted(every))}."
        )
    return tuple(n for n in known if n in names)

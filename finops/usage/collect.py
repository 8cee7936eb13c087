"""The collection's usage step: fetch a team's usage for the window, ready to replace it with the costs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from finops.usage.client import anthropic_usage, openai_usage
from finops.usage.load import UsageLoad
from finops.usage.settings import VARIABLE, usage_endpoints

if TYPE_CHECKING:
    from finops.costs.http import ApiClient, RequestStats
    from finops.warehouse.loader import Window

log = logging.getLogger(__name__)


def configured_endpoints(provider: str) -> tuple[str, ...]:
    """The endpoints ``finops_usage_endpoints`` lets this provider call (read when a task runs, never at parse)."""
    from finops.lookup import get_variable

    return usage_endpoints(provider, get_variable(VARIABLE, None))


def fetch_usage(provider: str, client: ApiClient, api_key: str, window: Window, scope_ids: Sequence[str],
                endpoints: Sequence[str] | None = None, stats: RequestStats | None = None) -> UsageLoad | None:
    """The team's usage rows of the window, or None when no usage endpoint is enabled (then usage is left as is).

    Any API failure raises like a cost failure: the team's attempt fails and nothing is replaced. ``stats`` (the
    cost stream's) counts the usage requests and retries in the collection run's.
    """
    endpoints = configured_endpoints(provider) if endpoints is None else tuple(endpoints)
    if not endpoints:
        return None
    if provider == "anthropic":
        fetch = anthropic_usage(client, api_key, window.start, window.end, scope_ids, endpoints, stats)
    else:
        fetch = openai_usage(client, api_key, window.start, window.end, scope_ids, endpoints, stats)
    log.info("Usage (%s): %d pages for %s (%d daily buckets kept as sent, %d rows decoded).", provider, fetch.pages,
             window, len(fetch.buckets), len(fetch.rows))
    return UsageLoad(fetch.rows, buckets=fetch.buckets, requests=fetch.stats.requests, pages=fetch.pages)

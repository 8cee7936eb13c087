"""A team's usage and key-list requests, started in threads of their own so that they run while the team thread
does something else: the previous team's load (fetch-ahead, docs/performance.md, section 2).

Up to ``in_flight`` of an OpenAI team's requests run side by side (an endpoint's or a project's pages stay in order);
with 1, or for Anthropic, they run one after the other in one thread, in the order a plain fetch would use, and stop
at the first failure. Either way :meth:`SideRequests.result` raises the first failure in that order.

Once the usage requests are done, the usage is spooled (digested day by day, and the days not loaded as they are
decoded and formatted: :meth:`finops.usage.load.UsageLoad.spool`, given the days read ahead) in a helper thread too,
so the team thread's turn does not spend its time on it (docs/performance.md, section 2).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from finops import timings

if TYPE_CHECKING:
    from finops.costs.http import RequestStats
    from finops.warehouse.loader import Window


class SideRequests:
    """The requests, already started; :meth:`result` waits for them (the team's ``side_wait`` step)."""

    def __init__(self, provider: str, client, api_key: str, window: Window, scope_ids: list[str], *,
                 in_flight: int = 1, endpoints: tuple[str, ...] | None = None, known_days: dict | None = None) -> None:
        """``endpoints``: the usage endpoints to call (default: as ``finops_usage_endpoints`` says); ``known_days``:
        the team's usage days as last loaded (:func:`finops.usage.load.stored_days`), read ahead."""
        from finops.attribution.client import fetch_keys
        from finops.usage.collect import configured_endpoints, fetch_usage

        self.endpoints = configured_endpoints(provider) if endpoints is None else endpoints
        endpoints, projects = self.endpoints, list(dict.fromkeys(scope_ids))

        def usage(part, stats):
            return fetch_usage(provider, client, api_key, window, scope_ids, endpoints=part, stats=stats)

        if provider == "openai" and in_flight > 1:
            jobs = [("usage", lambda stats, e=e: usage((e,), stats)) for e in endpoints]
            jobs += [("keys", lambda stats, pid=pid: fetch_keys(provider, client, api_key, [pid], stats=stats))
                     for pid in projects]
        else:  # one after the other: no key list is asked for once the usage failed
            jobs = [("both", lambda stats: (usage(endpoints, stats),
                                            fetch_keys(provider, client, api_key, scope_ids, stats=stats)))]
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(in_flight, len(jobs))),
                                        thread_name_prefix="team-requests")
        self._futures: list[tuple[str, Future]] = [(kind, self._pool.submit(_recorded, fetch)) for kind, fetch in jobs]
        if self.endpoints:  # submitted last: every job it waits for has started when it starts (no deadlock)
            usage_jobs = [(kind, future) for kind, future in self._futures if kind in ("usage", "both")]
            self._futures.append(("spool", self._pool.submit(
                _recorded, lambda _: _spool_usage(usage_jobs, window, known_days))))

    def result(self, stats: RequestStats):
        """``(usage, key_list)`` once every request is done (usage None when no usage endpoint is enabled); their
        requests and retries are added to ``stats`` and their steps to the calling thread's record as ``side ...``."""
        with timings.step("side_wait"):
            done = [(kind, future.result()) for kind, future in self._futures]
        self.close()
        team = timings.current()
        for _, (_, _, own, record) in done:
            stats.requests += own.requests
            stats.retries += own.retries
            if team is not None:
                for name, seconds in record.seconds.items():
                    team.add(f"side {name}", seconds)
                for name, n in record.counts.items():
                    team.counts[name] = team.counts.get(name, 0) + n
        failed = next((exc for _, (_, exc, _, _) in done if exc is not None), None)
        if failed is not None:
            raise failed
        usage, key_list = None, []
        for kind, (value, _, _, _) in done:
            if kind == "both":
                key_list += value[1]
            elif kind == "keys":
                key_list += value
            elif kind == "spool":
                usage = value
        return usage, key_list

    def close(self) -> None:
        """Wait for the requests still running and drop them (and the key their closures hold); safe to repeat."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._futures = []


def _spool_usage(usage_jobs: list[tuple[str, Future]], window: Window, known_days: dict | None):
    """The team's usage as one :class:`~finops.usage.load.UsageLoad`, spooled for the window's load (None when a
    usage request failed: :meth:`SideRequests.result` raises that failure)."""
    from finops.usage.load import UsageLoad

    parts = []
    for kind, future in usage_jobs:
        value, exc, _, _ = future.result()
        if exc is not None:
            return None
        part = value[0] if kind == "both" else value
        parts += [part] if part is not None else []
    usage = UsageLoad([row for part in parts for row in part.rows],
                      buckets=[bucket for part in parts for bucket in part.buckets],
                      requests=sum(p.requests for p in parts), pages=sum(p.pages for p in parts))
    with timings.step("usage_spool"):
        usage.spool({"window_start": window.start, "window_end": window.end}, known_days)
    return usage


def _recorded(fetch) -> tuple[Any, BaseException | None, RequestStats, timings.Timings]:
    """Run one job in a pool thread, with its own request counts and step record; a failure is returned, not
    raised, so that :meth:`SideRequests.result` can raise the first one in order."""
    from finops.costs.http import RequestStats

    own = RequestStats()
    with timings.recording() as record:
        try:
            return fetch(own), None, own, record
        except Exception as exc:  # noqa: BLE001 - raised by result() in the sequential order
            return None, exc, own, record

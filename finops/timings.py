"""Cheap per-step timers of one team's collection (docs/performance.md, sections 2 and 3).

``recording()`` opens a record for the calling thread (a team's collection); ``step(name)`` adds the
seconds spent in a block to it, *exclusive* of the steps nested inside (the spool's time excludes the
fetch and the parsing that happen while it iterates the API stream); ``count(name)`` counts events
(requests per endpoint kind). Outside a record both do nothing. Only names and numbers are kept:
nothing here ever sees a key, a URL or a response.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Timings:
    """Seconds per step (exclusive of nested steps) and counts per name, of one thread's record."""

    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _stack: list[float] = field(default_factory=list)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def as_dict(self) -> dict[str, dict]:
        return {"seconds": {k: round(v, 4) for k, v in sorted(self.seconds.items())}, "counts": dict(self.counts)}


_current: ContextVar[Timings | None] = ContextVar("finops_timings", default=None)


@contextmanager
def recording() -> Iterator[Timings]:
    """A fresh record for the steps run in this context (a thread's team)."""
    record = Timings()
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


@contextmanager
def step(name: str) -> Iterator[None]:
    """Add the block's seconds to ``name``, minus those of the steps nested in it."""
    record = _current.get()
    if record is None:
        yield
        return
    record._stack.append(0.0)
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        nested = record._stack.pop()
        record.add(name, elapsed - nested)
        if record._stack:
            record._stack[-1] += elapsed


def count(name: str, n: int = 1) -> None:
    record = _current.get()
    if record is not None:
        record.counts[name] = record.counts.get(name, 0) + n


def merge(into: dict[str, dict], record: dict[str, dict]) -> dict[str, dict]:
    """Sum ``record`` (``Timings.as_dict()``) into ``into`` (same shape)."""
    for part in ("seconds", "counts"):
        target = into.setdefault(part, {})
        for k, v in (record.get(part) or {}).items():
            target[k] = target.get(k, 0) + v
    return into


def current() -> Timings | None:
    """The calling context's record, if one is open."""
    return _current.get()


class _TimedLoad:
    """A load object (``UsageLoad``, ``KeysLoad``) whose ``load()`` is timed as a step; everything else passes."""

    __slots__ = ("_inner", "_name")

    def __init__(self, inner, name: str) -> None:
        self._inner = inner
        self._name = name

    def load(self, *args, **kwargs):
        with step(self._name):
            return self._inner.load(*args, **kwargs)

    def __getattr__(self, attr: str):
        return getattr(self._inner, attr)


def timed_load(inner, name: str):
    """``inner`` with its ``load()`` timed as ``name`` (None stays None; no record: ``inner`` itself)."""
    if inner is None or _current.get() is None:
        return inner
    return _TimedLoad(inner, name)

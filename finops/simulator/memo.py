"""Bounded memos of the simulator's deterministic generation, per configuration object.

Every figure the simulator serves is a pure function of (organization config, scope, day, ...), and the
costs and usage endpoints read the same per-(project, day) charges and per-key splits. :func:`per_org`
memoises such a function in an LRU of bounded size, comparing its first argument, an organization, by
identity: configurations are frozen pydantic models (never changed in place), and the memo holds the object,
so its id is not reused while an entry lives.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

T = TypeVar("T")


class _Same:
    """An object compared by identity (hashable whatever it holds)."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


def per_org(maxsize: int) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Memoise ``fn(org, *hashable_args)`` in an LRU of ``maxsize`` entries; callers must not mutate the result."""

    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        @lru_cache(maxsize=maxsize)
        def cached(ref: _Same, *args: Any) -> T:
            return fn(ref.obj, *args)

        @wraps(fn)
        def call(org: object, *args: Any) -> T:
            return cached(_Same(org), *args)

        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return call

    return wrap


def tune_gc() -> None:
    """For a process that only serves the simulator: the loaded configuration frozen out of the collections, and
    the young generation collected less often (a year of per-key results is a million short-lived objects; the
    memos live long, and every full collection would walk them)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)

"""The simulator's only source of randomness: numbers fixed by their parts (seed, scope, day, ...)."""

from __future__ import annotations

import hashlib
import random


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def unit_hash(*parts: object) -> float:
    """A number in [0, 1) fixed by its parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64

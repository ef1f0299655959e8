"""Sticky assignment by weighted rendezvous (highest-random-weight) hashing.

Each (key, variant) pair gets a uniform number ``u`` from a hash; the key goes to the variant with
the smallest ``-ln(u) / weight`` (an exponential race, so variant i wins with probability
``w_i / sum(w)``). Why rendezvous and not a ring of virtual nodes: a variant's score depends only on
its own weight, so raising one variant's weight moves keys only TO it, and lowering one moves keys
only FROM it — with two variants, 10 → 20 % for the candidate moves exactly the 10 % of keys it
must, all from control. A ring would also hand a shrinking variant's keys to whichever vnode
follows, and needs thousands of vnodes to match the weights closely. No state, no table: the same
key and weights give the same variant in every process.

The key is hashed once (blake2b); each variant's number then comes from a cheap 64-bit mix with a
per-variant seed, so a pick costs one hash plus a few integer operations per variant.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

_MASK = (1 << 64) - 1
_SCALE = 1.0 / float(1 << 64)


def key_hash(key: str) -> int:
    """A stable 64-bit hash of the request key (the raw key is never stored)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def variant_seed(name: str) -> int:
    return key_hash("variant:" + name)


class Rendezvous:
    """A precomputed weighted rendezvous table (immutable: build a new one on a change)."""

    __slots__ = ("_entries", "names")

    def __init__(self, weights: Sequence[tuple[str, float]]) -> None:
        self.names = tuple(name for name, _ in weights)
        # zero-weight variants never win a key; precompute 1/weight to multiply on the hot path
        self._entries = tuple(
            (name, variant_seed(name), 1.0 / weight) for name, weight in weights if weight > 0
        )

    def pick(self, hashed: int) -> str | None:
        """The variant that wins ``hashed`` (a :func:`key_hash`), or None when no weight is left."""
        best: str | None = None
        best_score = math.inf
        log = math.log
        for name, seed, inverse in self._entries:
            # splitmix64's finalizer, inlined (this loop is the sticky hot path)
            x = hashed ^ seed
            x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
            x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
            x ^= x >> 31
            score = -log((x + 0.5) * _SCALE) * inverse  # (x + 0.5) / 2**64 is in (0, 1)
            if score < best_score:
                best, best_score = name, score
        return best

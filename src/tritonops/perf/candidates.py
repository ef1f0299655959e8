"""The candidates ``tune`` compares: batching and instance settings as the config Triton will
serve, and the space of values each setting may take (the grid benchmark walks it exhaustively)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tritonops.model_config import DynamicBatching, InstanceGroup, InstanceKind, ModelConfig


@dataclass(frozen=True)
class Candidate:
    max_batch_size: int
    dynamic_batching: bool
    queue_delay_us: int = 0
    preferred: tuple[int, ...] = ()
    instances: int = 1

    def normalized(self) -> Candidate:
        """The config Triton will serve, so that configs served alike compare equal.

        - Without a dynamic batcher, the queue delay and preferred sizes mean nothing.
        - Triton keeps preferred sizes as a set (``std::set`` in core's
          src/dynamic_batch_scheduler.cc): order and repeats do not matter.
        - An empty ``preferred_batch_size`` is filled in with ``[max_batch_size]`` when the
          config is normalized (core's src/model_config_utils.cc, NormalizeModelConfig: "If
          preferred batch size is not specified set it to max-batch-size"), so ``[]`` and
          ``[max_batch_size]`` are one served config.
        - Sizes above ``max_batch_size`` are refused by Triton's validation (same file); the
          search never proposes them, and they are dropped here."""
        if not self.dynamic_batching:
            return replace(self, queue_delay_us=0, preferred=())
        sizes = tuple(sorted({p for p in self.preferred if 0 < p <= self.max_batch_size}))
        if not sizes and self.max_batch_size > 0:
            sizes = (self.max_batch_size,)
        return replace(self, preferred=sizes)

    @classmethod
    def of(cls, config: ModelConfig) -> Candidate:
        db = config.dynamic_batching
        count = sum(g.count or 1 for g in config.instance_group) or 1
        return cls(
            max_batch_size=config.max_batch_size,
            dynamic_batching=db is not None,
            queue_delay_us=db.max_queue_delay_microseconds if db else 0,
            preferred=tuple(db.preferred_batch_size) if db else (),
            instances=count,
        ).normalized()

    def apply(self, config: ModelConfig) -> ModelConfig:
        kind = config.instance_group[0].kind if config.instance_group else InstanceKind.KIND_CPU
        batching = None
        if self.dynamic_batching:
            base = config.dynamic_batching or DynamicBatching()
            batching = base.model_copy(
                update={
                    "max_queue_delay_microseconds": self.queue_delay_us,
                    "preferred_batch_size": list(self.preferred),
                }
            )
        return config.model_copy(
            update={
                "max_batch_size": self.max_batch_size,
                "dynamic_batching": batching,
                "instance_group": [InstanceGroup(kind=kind, count=self.instances)],
            }
        )

    def describe(self) -> str:
        if not self.dynamic_batching:
            batching = "no dynamic batching"
        else:
            pref = list(self.preferred)
            batching = f"dynamic batching (delay {self.queue_delay_us} µs, preferred {pref})"
        return f"max_batch_size {self.max_batch_size}, {batching}, {self.instances} instance(s)"


@dataclass(frozen=True)
class SearchSpace:
    """The values each setting may take; the grid benchmark walks the same space exhaustively."""

    max_batch_size: Sequence[int] = (8, 16, 32, 64)
    queue_delay_us: Sequence[int] = (0, 100, 500, 2000)
    preferred: Sequence[str] = ("none", "max", "half+max")  # relative to max_batch_size
    instances: Sequence[int] = (1, 2, 4)

    def preferred_sizes(self, kind: str, mbs: int) -> tuple[int, ...]:
        return {"none": (), "max": (mbs,), "half+max": tuple(sorted({max(1, mbs // 2), mbs}))}[kind]

    def grid(self, base: Candidate) -> list[Candidate]:
        seen: dict[Candidate, None] = {}
        for mbs, inst in itertools.product(self._sizes(base), self.instances):
            seen[Candidate(mbs, False, instances=inst).normalized()] = None
            for delay, pref in itertools.product(self.queue_delay_us, self.preferred):
                c = Candidate(mbs, True, delay, self.preferred_sizes(pref, mbs), inst)
                seen[c.normalized()] = None
        return list(seen)

    def _sizes(self, base: Candidate) -> list[int]:
        # a batching model keeps batching; an unbatched one (0) cannot change its request shape
        if base.max_batch_size == 0:
            return [0]
        return sorted({base.max_batch_size, *self.max_batch_size})

    def neighbours(self, c: Candidate, setting: str) -> list[Candidate]:
        """``c`` and every candidate differing from it in ``setting`` only."""
        if c.max_batch_size == 0 and setting in ("dynamic", "max_batch_size", "preferred"):
            return [c]
        if setting == "dynamic":
            out = [replace(c, dynamic_batching=v) for v in (False, True)]
        elif setting == "max_batch_size":
            out = [replace(c, max_batch_size=m) for m in self._sizes(c)]
        elif setting == "queue_delay_us" and c.dynamic_batching:
            out = [
                replace(c, queue_delay_us=d)
                for d in sorted({c.queue_delay_us, *self.queue_delay_us})
            ]
        elif setting == "preferred" and c.dynamic_batching:
            out = [c] + [
                replace(c, preferred=self.preferred_sizes(p, c.max_batch_size))
                for p in self.preferred
            ]
        elif setting == "instances":
            out = [replace(c, instances=i) for i in sorted({c.instances, *self.instances})]
        else:
            out = [c]
        return list(dict.fromkeys(x.normalized() for x in out))

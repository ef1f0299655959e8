"""``TinyDecoder``: a small deterministic decoder-only transformer that runs anywhere on numpy.

It stands in for a real LLM engine on machines without a GPU (the ``tensorrtllm`` and ``vllm``
stand-in backends serve it), so a model repository's tokenizer, ensemble and BLS code run
end to end with real per-token work::

    decoder = TinyDecoder({"vocab_size": 49, "hidden_size": 64}, seed=7)
    stream = decoder.generate([1, 5, 9], max_new_tokens=8, end_id=2)
    for token in stream:          # one token at a time: prefill first, then one KV-cached step each
        print(token)
    stream.log_probs, stream.prefill_flops, stream.decode_flops

Shape: a checkpoint ``config.json``'s keys (``vocab_size``, ``hidden_size``,
``num_hidden_layers``, ``num_attention_heads``, ``intermediate_size``,
``max_position_embeddings``); missing keys take small defaults. Weights come from ``seed``
through numpy's PCG64 generator, so the same config and seed give the same tokens on every
machine. Prefill runs the whole prompt through every layer at once (its cost grows with the
prompt: time to first token grows with it too); each later token is one step over the KV cache.

This module needs only numpy and the standard library: the stand-in backends import it inside
Triton's python backend stub, where tritonops itself need not be importable. Bad arguments raise
``EngineInputError`` (a ``ValueError``); the backends turn it into the request's error.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float32]

DEFAULTS: dict[str, int] = {
    "vocab_size": 256,
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 128,
    "max_position_embeddings": 512,
}
_NORM_EPS = 1e-5
# a CPU smoke decoder: 64M float32 weights (256 MB) at most, so a hostile config cannot exhaust
# the serving host's memory when the stand-in loads it
MAX_PARAMETERS = 1 << 26


class EngineInputError(ValueError):
    """A shape or request the decoder cannot run; the message says which value and the limit."""


@dataclass(frozen=True)
class DecoderShape:
    """The decoder's sizes, read from a checkpoint-like ``config.json`` mapping."""

    vocab_size: int = DEFAULTS["vocab_size"]
    hidden_size: int = DEFAULTS["hidden_size"]
    num_hidden_layers: int = DEFAULTS["num_hidden_layers"]
    num_attention_heads: int = DEFAULTS["num_attention_heads"]
    intermediate_size: int = DEFAULTS["intermediate_size"]
    max_position_embeddings: int = DEFAULTS["max_position_embeddings"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DecoderShape:
        values: dict[str, int] = {}
        for key, default in DEFAULTS.items():
            raw = config.get(key, default)
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
                raise EngineInputError(f"config {key} must be a positive integer (got {raw!r})")
            values[key] = raw
        if values["hidden_size"] % values["num_attention_heads"]:
            raise EngineInputError(
                f"config hidden_size {values['hidden_size']} must be a multiple of "
                f"num_attention_heads {values['num_attention_heads']}"
            )
        shape = cls(**values)
        if shape.parameters > MAX_PARAMETERS:
            raise EngineInputError(
                f"config asks for {shape.parameters:,} weights; this CPU decoder allows "
                f"{MAX_PARAMETERS:,} — lower hidden_size, num_hidden_layers, intermediate_size, "
                "vocab_size or max_position_embeddings"
            )
        return shape

    @property
    def parameters(self) -> int:
        """How many weights the decoder holds (embeddings, positions, layers, output)."""
        h, inter = self.hidden_size, self.intermediate_size
        per_layer = 4 * h * h + 2 * h * inter + 2 * h
        return (
            2 * self.vocab_size * h
            + self.max_position_embeddings * h
            + self.num_hidden_layers * per_layer
            + h
        )

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads


@dataclass(frozen=True)
class Sampling:
    """How the next token is chosen; the defaults are greedy.

    Greedy unless ``top_k`` > 1 or 0 < ``top_p`` < 1 (this decoder's rule: a request that
    names no sampling option gets deterministic tokens); ``temperature`` scales logits only when
    sampling; ``seed`` makes sampling repeatable per request.
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 0.0
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.top_k <= 1 and not 0.0 < self.top_p < 1.0


@dataclass
class _Layer:
    wq: Array
    wk: Array
    wv: Array
    wo: Array
    w_up: Array
    w_down: Array
    norm_attn: Array
    norm_mlp: Array


@dataclass
class Generation:
    """One request's token stream: iterate it for token ids; figures fill in as it runs.

    ``log_probs`` holds the log-probability of each yielded token (after temperature, before
    top-k/top-p filtering); ``context_logits`` (prompt positions) and ``generation_logits``
    (one row per yielded token) are kept only when asked for. ``prefill_flops`` and
    ``decode_flops`` count multiply-adds x2 of every matrix product run.
    """

    _steps: Iterator[int]
    log_probs: list[float] = field(default_factory=list)
    context_logits: Array | None = None
    generation_logits: list[Array] = field(default_factory=list)
    prefill_flops: int = 0
    decode_flops: int = 0
    # "length" | "stop_words" (set as the last token is yielded) | "end_id" (set when the stream
    # ends without a token) | "" while more may come
    finish_reason: str = ""

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        return next(self._steps)

    @property
    def cum_log_prob(self) -> float:
        return float(sum(self.log_probs))


class TinyDecoder:
    """A pre-norm transformer decoder with learned positions, sized by ``config``, seeded."""

    def __init__(self, config: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        self.shape = DecoderShape.from_config(config or {})
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise EngineInputError(f"seed must be a non-negative integer (got {seed!r})")
        self.seed = seed
        rng = np.random.default_rng(seed)
        s = self.shape
        h, inter = s.hidden_size, s.intermediate_size

        def weights(rows: int, cols: int) -> Array:
            # unit-variance activations through each product, so logits stay spread out
            scale = np.float32(1.0 / math.sqrt(rows))
            return (rng.standard_normal((rows, cols), dtype=np.float32) * scale).astype(np.float32)

        self.embedding = rng.standard_normal((s.vocab_size, h), dtype=np.float32)
        self.positions = (
            rng.standard_normal((s.max_position_embeddings, h), dtype=np.float32) * 0.5
        ).astype(np.float32)
        self.layers = [
            _Layer(
                wq=weights(h, h),
                wk=weights(h, h),
                wv=weights(h, h),
                wo=weights(h, h),
                w_up=weights(h, inter),
                w_down=weights(inter, h),
                norm_attn=np.ones(h, dtype=np.float32),
                norm_mlp=np.ones(h, dtype=np.float32),
            )
            for _ in range(s.num_hidden_layers)
        ]
        self.norm_final = np.ones(h, dtype=np.float32)
        self.lm_head = weights(h, s.vocab_size) * np.float32(4.0)

    # -- cost model ---------------------------------------------------------------------------

    def step_flops(self, new_tokens: int, cached: int) -> int:
        """FLOPs of running ``new_tokens`` positions over ``cached`` earlier ones (x2 per MAC)."""
        s = self.shape
        h, inter, n = s.hidden_size, s.intermediate_size, new_tokens
        total = cached + new_tokens
        per_layer = 4 * n * h * h + 2 * n * h * inter + 2 * n * total * h
        return 2 * (s.num_hidden_layers * per_layer + n * h * s.vocab_size)

    # -- the forward pass ---------------------------------------------------------------------

    @staticmethod
    def _norm(x: Array, weight: Array) -> Array:
        scale = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + _NORM_EPS)
        normed: Array = (x / scale * weight).astype(np.float32)
        return normed

    def _forward(
        self, tokens: Sequence[int], start: int, cache: list[tuple[Array, Array]]
    ) -> Array:
        """Logits for ``tokens`` at positions ``start``...; appends their keys/values to cache."""
        s = self.shape
        ids = np.asarray(tokens, dtype=np.int64)
        x = (self.embedding[ids] + self.positions[start : start + len(ids)]).astype(np.float32)
        heads, size = s.num_attention_heads, s.head_size
        n = len(ids)
        for index, layer in enumerate(self.layers):
            y = self._norm(x, layer.norm_attn)
            q, k, v = y @ layer.wq, y @ layer.wk, y @ layer.wv
            if len(cache) <= index:
                cache.append((k, v))
            else:
                old_k, old_v = cache[index]
                cache[index] = (np.concatenate([old_k, k]), np.concatenate([old_v, v]))
            keys, values = cache[index]
            total = keys.shape[0]
            qh = q.reshape(n, heads, size).transpose(1, 0, 2)
            kh = keys.reshape(total, heads, size).transpose(1, 0, 2)
            vh = values.reshape(total, heads, size).transpose(1, 0, 2)
            scores = qh @ kh.transpose(0, 2, 1) / np.float32(math.sqrt(size))
            # causal: position start+i sees keys 0..start+i
            visible = np.arange(total)[None, :] <= (start + np.arange(n))[:, None]
            scores = np.where(visible[None, :, :], scores, np.float32(-1e30))
            scores = scores - scores.max(axis=-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=-1, keepdims=True)
            attended = (weights @ vh).transpose(1, 0, 2).reshape(n, s.hidden_size)
            x = x + attended @ layer.wo
            y = self._norm(x, layer.norm_mlp)
            x = x + np.maximum(y @ layer.w_up, 0.0) @ layer.w_down
        logits: Array = (self._norm(x, self.norm_final) @ self.lm_head).astype(np.float32)
        return logits

    # -- generation ---------------------------------------------------------------------------

    def _check_ids(self, what: str, ids: Sequence[int]) -> list[int]:
        vocab = self.shape.vocab_size
        out = [int(t) for t in ids]
        bad = [t for t in out if not 0 <= t < vocab]
        if bad:
            raise EngineInputError(
                f"{what} holds token id {bad[0]} outside the vocabulary 0..{vocab - 1}"
            )
        return out

    def generate(
        self,
        input_ids: Sequence[int],
        max_new_tokens: int,
        *,
        end_id: int | None = None,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 0.0,
        seed: int = 0,
        min_tokens: int = 0,
        stop_words: Sequence[Sequence[int]] = (),
        bad_words: Sequence[Sequence[int]] = (),
        keep_context_logits: bool = False,
        keep_generation_logits: bool = False,
    ) -> Generation:
        """Generate up to ``max_new_tokens`` after ``input_ids``, one token per iteration.

        Stops early at ``end_id`` (not yielded) once ``min_tokens`` were produced, or after a
        token completes one of ``stop_words`` (token sequences; that token is yielded). A token
        that would complete one of ``bad_words`` is never chosen. Greedy unless ``top_k`` > 1 or
        0 < ``top_p`` < 1 (then sampled with ``temperature`` and ``seed``).
        """
        prompt = self._check_ids("input_ids", input_ids)
        if not prompt:
            raise EngineInputError("input_ids is empty: the prompt needs at least one token")
        if max_new_tokens < 0:
            raise EngineInputError(f"max_new_tokens must be >= 0 (got {max_new_tokens})")
        limit = self.shape.max_position_embeddings
        if len(prompt) + max_new_tokens > limit:
            raise EngineInputError(
                f"prompt of {len(prompt)} tokens + {max_new_tokens} new tokens exceeds the "
                f"decoder's {limit} positions (max_position_embeddings)"
            )
        if temperature <= 0.0 and not Sampling(1.0, top_k, top_p).greedy:
            raise EngineInputError(f"temperature must be > 0 to sample (got {temperature})")
        sampling = Sampling(temperature, max(top_k, 0), top_p, seed)
        stops = [self._check_ids("stop_words", w) for w in stop_words if len(w)]
        bans = [self._check_ids("bad_words", w) for w in bad_words if len(w)]
        result = Generation(iter(()))
        result._steps = self._steps(
            result,
            prompt,
            max_new_tokens,
            end_id,
            min_tokens,
            sampling,
            stops,
            bans,
            keep_context_logits,
            keep_generation_logits,
        )
        return result

    def _steps(
        self,
        out: Generation,
        prompt: list[int],
        max_new_tokens: int,
        end_id: int | None,
        min_tokens: int,
        sampling: Sampling,
        stops: list[list[int]],
        bans: list[list[int]],
        keep_context: bool,
        keep_generation: bool,
    ) -> Iterator[int]:
        if max_new_tokens == 0:
            out.finish_reason = "length"
            return
        rng = np.random.default_rng(sampling.seed)
        cache: list[tuple[Array, Array]] = []
        logits = self._forward(prompt, 0, cache)
        out.prefill_flops = self.step_flops(len(prompt), 0)
        if keep_context:
            out.context_logits = logits
        last = logits[-1]
        produced: list[int] = []
        while True:
            row = self._mask(last, produced, bans, end_id, len(produced) < min_tokens)
            token, log_prob = self._choose(row, sampling, rng)
            if end_id is not None and token == end_id:
                out.finish_reason = "end_id"
                return
            produced.append(token)
            out.log_probs.append(log_prob)
            if keep_generation:
                out.generation_logits.append(last)
            # known before the token leaves, so a streaming server can flag it as the last one
            if any(produced[-len(w) :] == w for w in stops):
                out.finish_reason = "stop_words"
            elif len(produced) >= max_new_tokens:
                out.finish_reason = "length"
            yield token
            if out.finish_reason:
                return
            position = len(prompt) + len(produced) - 1
            last = self._forward([token], position, cache)[-1]
            out.decode_flops += self.step_flops(1, position)

    @staticmethod
    def _mask(
        logits: Array, produced: list[int], bans: list[list[int]], end_id: int | None, early: bool
    ) -> Array:
        row = logits.copy()
        for word in bans:
            prefix = word[:-1]
            if not prefix or produced[-len(prefix) :] == prefix:
                row[word[-1]] = -np.inf
        if early and end_id is not None and 0 <= end_id < row.shape[0]:
            row[end_id] = -np.inf
        return row

    @staticmethod
    def _choose(row: Array, sampling: Sampling, rng: np.random.Generator) -> tuple[int, float]:
        scaled = row / np.float32(sampling.temperature if sampling.temperature > 0 else 1.0)
        finite = np.isfinite(scaled)
        if not finite.any():
            raise EngineInputError("bad_words and end_id exclude every token of the vocabulary")
        shifted = scaled - scaled[finite].max()
        probs = np.where(finite, np.exp(shifted), 0.0)
        probs /= probs.sum()
        if sampling.greedy:
            token = int(np.argmax(np.where(finite, scaled, -np.inf)))
        else:
            keep = np.ones_like(probs, dtype=bool)
            if sampling.top_k > 1:
                order = np.argsort(-probs, kind="stable")
                keep[order[sampling.top_k :]] = False
            if 0.0 < sampling.top_p < 1.0:
                order = np.argsort(-probs, kind="stable")
                cumulative = np.cumsum(probs[order])
                # the smallest prefix whose mass reaches top_p (always at least one token)
                cut = int(np.searchsorted(cumulative, sampling.top_p)) + 1
                nucleus = np.zeros_like(keep)
                nucleus[order[:cut]] = True
                keep &= nucleus
            kept = np.where(keep, probs, 0.0)
            token = int(rng.choice(len(kept), p=kept / kept.sum()))
        return token, float(np.log(max(float(probs[token]), 1e-45)))

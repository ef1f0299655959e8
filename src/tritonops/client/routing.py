"""The routing core shared by ``Router`` and ``AsyncRouter``: which variant, in what order.

Everything here is free of I/O: rules, sticky rendezvous hashing, weighted draws, fallback order,
circuits, and turning an attempt into a ``RoutedResult`` and its ``Assignment``. One request's walk
through its plan is one generator (``RoutingCore.route``) that both routers drive: it names each
variant to try, the router sends (blocking or awaited) and hands back the answer or throws the
error in, and the generator returns the recorded result. So the two routers share every decision
and differ only in how they send. Weights live in an immutable table that ``set_weights``
replaces in one assignment, so the hot path reads it without a lock.
"""

from __future__ import annotations

import bisect
import random
import time
from array import array
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any, NamedTuple, TypeAlias

from numpy.typing import NDArray

from tritonops.client.circuit import Circuit, CircuitSettings
from tritonops.client.hashing import Rendezvous, key_hash
from tritonops.client.records import Recorder, ShadowComparison, Status
from tritonops.client.shadow import compare
from tritonops.client.transport import Answer, Attributes, Tensors
from tritonops.errors import ClientError, NoVariantAvailable

_NO_ATTRIBUTES: Attributes = {}
_STICKY_CACHE = 65_536


@dataclass(frozen=True)
class Variant:
    """One arm of a Router: a model version served at one or more endpoints, with a weight.

    ``version`` empty means the server's choice; ``weight`` is a relative share (0: no new
    traffic, still a fallback); ``endpoints`` are ``host:port`` addresses of servers that all
    serve the model (round-robin with failover). ``name`` is what records and stats call it.
    """

    name: str
    model: str
    version: str = ""
    weight: float = 1.0
    endpoints: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.weight < 0:
            raise ClientError(f"variant {self.name!r} has weight {self.weight} — use 0 or more")
        object.__setattr__(self, "endpoints", tuple(self.endpoints))


@dataclass(frozen=True)
class Rule:
    """Force ``variant`` when ``when(inputs, attributes)`` is true (first matching rule wins).

    ::

        Rule(lambda inputs, attrs: attrs.get("tier") == "beta", "candidate", name="beta")

    ``name`` appears in each ``Assignment.rule`` the rule decided. A rule naming a variant the
    router does not have is refused when the router is built.
    """

    when: Callable[[Tensors, Attributes], bool]
    variant: str
    name: str = ""

    def __call__(self, inputs: Tensors, attributes: Attributes) -> str | None:
        return self.variant if self.when(inputs, attributes) else None


@dataclass(frozen=True)
class AttributeRule:
    """Force the variant named by a request attribute (e.g. the ``x-variant`` header).

    A value that names no variant is ignored (routing goes on by rules, key and weight).
    """

    attribute: str = "x-variant"

    def __call__(self, inputs: Tensors, attributes: Attributes) -> str | None:
        value = attributes.get(self.attribute)
        return value if isinstance(value, str) else None


RuleLike: TypeAlias = Callable[[Tensors, Attributes], "str | None"]
# one request's walk: yields each variant to try, is sent its Answer (or thrown its ClientError),
# returns the recorded result
Route: TypeAlias = Generator[str, Answer, "RoutedResult"]


class RoutedResult(NamedTuple):
    """What the Router answers: who served, the outputs, and whether it worked.

    ``variant`` answered (or failed last); ``status`` is ``"ok"`` or ``"error"`` with the
    ``ClientError`` in ``error``; ``fallback_from`` names the variant first chosen when another
    answered; ``key_hash`` is the hex hash of the sticky key; ``model``, ``version`` and
    ``endpoint`` say what served it.

    A named tuple: immutable like the frozen dataclass it replaced, but built by one C call per
    request instead of one ``object.__setattr__`` per field.
    """

    variant: str
    outputs: dict[str, NDArray[Any]]
    latency_ms: float
    status: Status
    error: ClientError | None = None
    fallback_from: str | None = None
    key_hash: str | None = None
    model: str = ""
    version: str = ""
    endpoint: str = ""


class Plan:
    """Which variants to try, in turn, and why (immutable: sticky plans are cached and shared)."""

    __slots__ = ("assigned", "key_hash", "order", "rule")

    def __init__(
        self, order: tuple[str, ...], assigned: str, key_hash: str | None, rule: str | None
    ) -> None:
        self.order = order  # variants to try, in turn
        self.assigned = assigned
        self.key_hash = key_hash
        self.rule = rule

    def __repr__(self) -> str:
        return (
            f"Plan(order={self.order!r}, assigned={self.assigned!r}, key_hash={self.key_hash!r},"
            f" rule={self.rule!r})"
        )


class _Table:
    """Weights and everything precomputed from them."""

    def __init__(self, weights: Mapping[str, float], fallback: bool) -> None:
        live = [(n, w) for n, w in weights.items() if w > 0]
        self.rendezvous = Rendezvous(live)
        self.names = [n for n, _ in live]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in live:
            total += weight
            self.cumulative.append(total)
        self.total = total
        # fallbacks by weight, heaviest first; drained (weight 0) variants last, still a safety net
        by_weight = sorted(weights, key=lambda n: -weights[n])
        self.orders = {
            name: (name, *(n for n in by_weight if n != name)) if fallback else (name,)
            for name in weights
        }
        # one shared plan per variant for requests without a key
        self.plans = {name: Plan(order, name, None, None) for name, order in self.orders.items()}
        # per key: its hash's hex and its sticky plan; valid while this table lives
        # (set_weights makes a new table), bounded: a miss costs one hash and one pick
        self.keys: dict[str, tuple[str, Plan | None]] = {}

    def remember(self, key: str) -> tuple[str, Plan | None]:
        hashed = key_hash(key)
        hashed_hex = format(hashed, "016x")
        chosen = self.rendezvous.pick(hashed)
        plan = None if chosen is None else Plan(self.orders[chosen], chosen, hashed_hex, None)
        if len(self.keys) >= _STICKY_CACHE:
            self.keys.clear()
        entry = self.keys[key] = (hashed_hex, plan)
        return entry


class RoutingCore:
    """Picks the variant order for each request and records what happened (no I/O).

    Both routers hold one as ``router.core``; its ``circuits`` (by variant name) show each
    breaker's ``state``. Arguments are the routers' own (see ``Router``).
    """

    def __init__(
        self,
        variants: Sequence[Variant],
        *,
        sticky: bool = True,
        shadow: Variant | None = None,
        rules: Sequence[RuleLike] = (),
        fallback: bool = True,
        circuit: CircuitSettings | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_records: int | None = 100_000,
    ) -> None:
        names = [v.name for v in variants]
        if not variants or len(set(names)) != len(names):
            raise ClientError(f"a router needs variants with distinct names (got {names})")
        self.variants = {v.name: v for v in variants}
        for rule in rules:
            if isinstance(rule, Rule) and rule.variant not in self.variants:
                raise ClientError(
                    f"rule {rule.name or rule.variant!r} forces unknown variant {rule.variant!r}"
                    f" — the variants are {', '.join(names)}"
                )
        self.sticky = sticky
        self.shadow = shadow
        self.rules = tuple(rules)
        self.fallback = fallback
        settings = circuit or CircuitSettings()
        self.circuits = {name: Circuit(settings, clock) for name in names}
        self.recorder = Recorder(max_records)
        self._rng = random.Random(seed)
        self._table = _Table({v.name: v.weight for v in variants}, fallback)
        # the hot path's bound appends: one row per request, one latency per success
        self._append_row = self.recorder.append_row
        self._latencies: dict[str, array[float]] = {}

    # -- weights ---------------------------------------------------------------------------------
    @property
    def weights(self) -> dict[str, float]:
        """The current weight of each variant."""
        return {name: v.weight for name, v in self.variants.items()}

    def set_weights(self, weights: Mapping[str, float]) -> None:
        """Replace some weights; see ``Router.set_weights``."""
        unknown = set(weights) - set(self.variants)
        if unknown:
            raise ClientError(
                f"unknown variant(s) {', '.join(sorted(unknown))} — the variants are"
                f" {', '.join(self.variants)}"
            )
        for name, weight in weights.items():
            if weight < 0:
                raise ClientError(f"variant {name!r} has weight {weight} — use 0 or more")
        merged = {name: float(weights.get(name, v.weight)) for name, v in self.variants.items()}
        self.variants = {n: _reweighted(v, merged[n]) for n, v in self.variants.items()}
        self._table = _Table(merged, self.fallback)  # readers see old or new

    # -- picking ---------------------------------------------------------------------------------
    def plan(self, inputs: Tensors, key: str | None, attributes: Attributes | None) -> Plan:
        """The variants to try for one request, in turn: rules first, then the sticky key's
        variant, else a weighted draw; the others follow as fallbacks, heaviest first."""
        table = self._table
        hashed_hex: str | None = None
        sticky: Plan | None = None
        if key is not None:
            cached = table.keys.get(key)
            if cached is None:
                cached = table.remember(key)
            hashed_hex, sticky = cached
        if self.rules:
            attrs = attributes if attributes is not None else _NO_ATTRIBUTES
            for rule in self.rules:
                forced = rule(inputs, attrs)
                if forced is not None and forced in self.variants:
                    return Plan(table.orders[forced], forced, hashed_hex, _rule_name(rule, forced))
        if key is not None and self.sticky:
            if sticky is not None:
                return sticky
        elif table.total > 0:
            index = bisect.bisect_right(table.cumulative, self._rng.random() * table.total)
            chosen = table.names[min(index, len(table.names) - 1)]
            if hashed_hex is None:
                return table.plans[chosen]
            return Plan(table.orders[chosen], chosen, hashed_hex, None)
        raise NoVariantAvailable("every variant has weight 0 — give one a positive weight")

    def route(self, inputs: Tensors, key: str | None, attributes: Attributes | None) -> Route:
        """One request, start to record, free of I/O (both routers drive this one walk).

        Plans the request (``NoVariantAvailable`` raises here when every weight is 0), then yields
        each variant of the plan whose circuit lets it through. The router sends the request to
        it and ``send``s back its ``Answer``, or ``throw``s in the ``ClientError`` it raised; a
        failure counts against the variant's circuit and the walk moves on (fallback). The
        generator returns the ``RoutedResult``, already recorded: served, or given up with the
        last error (``NoVariantAvailable`` when no circuit let anything through).
        """
        started = perf_counter_ns()
        plan = self.plan(inputs, key, attributes)
        circuits = self.circuits
        last: str | None = None
        error: ClientError | None = None
        for name in plan.order:
            if not circuits[name].allow():
                continue
            try:
                outputs, model, version, endpoint = yield name
            except ClientError as exc:
                circuits[name].record(False)
                last, error = name, exc
                continue
            return self.served(plan, name, outputs, model, version, endpoint, started)
        return self.give_up(plan, last, error, started)

    def shadow_target(self, primary: RoutedResult) -> Variant | None:
        """The variant that gets a copy of a routed request: the shadow, unless it served the
        request itself. Failed requests are mirrored too."""
        return self.shadow if self.should_shadow(primary.variant) else None

    def should_shadow(self, served: str) -> bool:
        """Whether a request ``served`` answered is mirrored (never to the shadow itself)."""
        return self.shadow is not None and self.shadow.name != served

    # -- outcomes --------------------------------------------------------------------------------
    def served(
        self,
        plan: Plan,
        name: str,
        outputs: dict[str, NDArray[Any]],
        model: str,
        version: str,
        endpoint: str,
        started_ns: int,
    ) -> RoutedResult:
        """Record a served request and make its result (``started_ns``:
        ``time.perf_counter_ns()`` before ``plan``); ``route`` calls it."""
        self.circuits[name].success()
        latency_ms = (perf_counter_ns() - started_ns) / 1e6
        assigned = plan.assigned
        fallback_from = None if name == assigned else assigned
        key_hash = plan.key_hash
        shadow = self.shadow
        self._append_row(
            (
                name, assigned, key_hash, started_ns, latency_ms, "ok",
                shadow is not None and shadow.name != name, fallback_from, plan.rule,
            )
        )  # fmt: skip
        latencies = self._latencies.get(name)
        if latencies is None:
            latencies = self._latencies[name] = self.recorder.latencies(name)
        latencies.append(latency_ms)
        return RoutedResult(
            name, outputs, latency_ms, "ok", None, fallback_from, key_hash, model, version,
            endpoint,
        )  # fmt: skip

    def give_up(
        self, plan: Plan, last: str | None, error: ClientError | None, started_ns: int
    ) -> RoutedResult:
        """Record a request no variant could serve; the result carries the last error
        (``route`` calls it)."""
        if error is None:
            error = NoVariantAvailable(
                f"no variant can serve: circuits open for {', '.join(plan.order)}"
                " — wait for the cooldown or check the servers"
            )
        name = last or plan.assigned
        latency_ms = (perf_counter_ns() - started_ns) / 1e6
        fallback_from = None if name == plan.assigned else plan.assigned
        self.recorder.row(
            (
                name, plan.assigned, plan.key_hash, started_ns, latency_ms, "error",
                self.should_shadow(name), fallback_from, plan.rule,
            )
        )  # fmt: skip
        return RoutedResult(name, {}, latency_ms, "error", error, fallback_from, plan.key_hash)

    def shadow_outcome(
        self,
        primary: RoutedResult,
        outputs: dict[str, NDArray[Any]] | None,
        error: ClientError | None,
        started: float,
    ) -> None:
        """Record a finished shadow call: its outputs, or its error (runs in the background,
        off the primary path; ``started``: ``time.perf_counter()`` before sending)."""
        assert self.shadow is not None
        latency_ms = (time.perf_counter() - started) * 1000.0
        diff: float | None = None
        argmax: bool | None = None
        equal: bool | None = None
        if outputs is not None and primary.status == "ok":
            diff, argmax, equal = compare(primary.outputs, outputs)
        self.recorder.comparison(
            ShadowComparison(
                self.shadow.name, primary.variant, primary.key_hash, latency_ms,
                "ok" if error is None else "error", str(error or ""), diff, argmax, equal,
                time.time(),
            )
        )  # fmt: skip


def _reweighted(variant: Variant, weight: float) -> Variant:
    if variant.weight == weight:
        return variant
    return Variant(variant.name, variant.model, variant.version, weight, variant.endpoints)


def _rule_name(rule: RuleLike, forced: str) -> str:
    if isinstance(rule, Rule):
        return rule.name or f"rule→{forced}"
    if isinstance(rule, AttributeRule):
        return f"attribute:{rule.attribute}"
    return getattr(rule, "__name__", "rule")

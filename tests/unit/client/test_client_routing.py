"""RoutingCore: weighted split, stickiness, minimal key movement, rules."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from client_fixtures import x
from scipy.stats import chisquare

from tritonops.client import AttributeRule, Rule, Variant
from tritonops.client.routing import RoutingCore
from tritonops.client.transport import Attributes, Tensors
from tritonops.errors import ClientError, NoVariantAvailable

KEYS = [f"user-{i}" for i in range(10_000)]


def core(weights: dict[str, float], **options: object) -> RoutingCore:
    variants = [Variant(name, "m", weight=w) for name, w in weights.items()]
    return RoutingCore(variants, **options)  # type: ignore[arg-type]


def split(routing: RoutingCore, keys: list[str | None]) -> Counter[str]:
    return Counter(routing.plan(x(), key, None).assigned for key in keys)


@pytest.mark.parametrize("sticky", [True, False])
def test_ten_thousand_assignments_match_the_weights(sticky: bool) -> None:
    weights = {"control": 70.0, "candidate": 20.0, "other": 10.0}
    routing = core(weights, seed=7)
    keys: list[str | None] = list(KEYS) if sticky else [None] * len(KEYS)
    counts = split(routing, keys)
    observed = [counts[name] for name in weights]
    expected = [len(keys) * w / 100 for w in weights.values()]
    assert sum(observed) == len(keys)
    assert chisquare(observed, expected).pvalue > 0.001


def test_the_chi_square_test_can_fail() -> None:
    counts = split(core({"a": 50.0, "b": 50.0}), list(KEYS))
    assert chisquare([counts["a"], counts["b"]], [9_000, 1_000]).pvalue < 0.001


def test_same_key_same_variant_always_and_across_instances() -> None:
    first, second = core({"a": 1, "b": 1, "c": 1}), core({"a": 1, "b": 1, "c": 1})
    for key in KEYS[:2000]:
        picks = {first.plan(x(), key, None).assigned for _ in range(3)}
        picks.add(second.plan(x(), key, None).assigned)
        assert len(picks) == 1


def moved(before: dict[str, float], after: dict[str, float]) -> Counter[tuple[str, str]]:
    routing = core(before)
    old = {k: routing.plan(x(), k, None).assigned for k in KEYS}
    routing.set_weights(after)
    return Counter(
        (old[k], new) for k in KEYS if (new := routing.plan(x(), k, None).assigned) != old[k]
    )


def test_weight_change_moves_only_the_keys_it_must() -> None:
    moves = moved({"control": 90, "candidate": 10}, {"control": 80, "candidate": 20})
    assert set(moves) == {("control", "candidate")}
    share = moves[("control", "candidate")] / len(KEYS)
    assert 0.085 < share < 0.115  # the minimum is 10 %


def test_raising_one_weight_moves_keys_only_to_it() -> None:
    moves = moved({"a": 50, "b": 30, "c": 20}, {"a": 50, "b": 30, "c": 40})
    assert {dst for _, dst in moves} == {"c"}


def test_three_variants_movement_is_close_to_the_minimum() -> None:
    moves = moved(
        {"control": 80, "candidate": 10, "other": 10},
        {"control": 70, "candidate": 20, "other": 10},
    )
    total = sum(moves.values()) / len(KEYS)
    assert moves[("control", "candidate")] > 0.8 * sum(moves.values())
    assert ("candidate", "control") not in moves
    assert total < 0.13  # minimum 10 %; a little churn through "other" is the price of no state


def test_rules_override_weights_and_stickiness() -> None:
    def long_input(inputs: Tensors, attributes: Attributes) -> bool:
        return inputs["x"].shape[0] > 4

    routing = core(
        {"control": 100, "candidate": 0},
        rules=[AttributeRule("x-variant"), Rule(long_input, "candidate", "long")],
    )
    assert routing.plan(x(), "k", {"x-variant": "candidate"}).assigned == "candidate"
    plan = routing.plan(x(8), "k", None)
    assert (plan.assigned, plan.rule) == ("candidate", "long")
    assert routing.plan(x(1), "k", {"x-variant": "nope"}).assigned == "control"


def test_a_rule_naming_an_unknown_variant_is_refused() -> None:
    with pytest.raises(ClientError, match="forces unknown variant 'ghost'"):
        core({"a": 1}, rules=[Rule(lambda i, a: True, "ghost")])


def test_fallback_order_follows_weights() -> None:
    routing = core({"small": 10, "big": 60, "mid": 30})
    assert routing.plan(x(), None, {"x-variant": "small"}).order[0] in {"small", "big", "mid"}
    forced = core({"small": 10, "big": 60, "mid": 30}, rules=[AttributeRule()])
    assert forced.plan(x(), None, {"x-variant": "small"}).order == ("small", "big", "mid")
    off = core({"small": 10, "big": 60}, rules=[AttributeRule()], fallback=False)
    assert off.plan(x(), None, {"x-variant": "small"}).order == ("small",)


def test_all_zero_weights_is_a_clear_error() -> None:
    routing = core({"a": 1})
    routing.set_weights({"a": 0})
    with pytest.raises(NoVariantAvailable, match="weight 0"):
        routing.plan(x(), "k", None)
    with pytest.raises(ClientError, match="unknown variant"):
        routing.set_weights({"zzz": 1})


def test_key_hash_is_stable_and_not_the_key() -> None:
    plan = core({"a": 1}).plan({"x": np.zeros((1, 4), np.float32)}, "user-42", None)
    assert plan.key_hash is not None
    assert "user-42" not in plan.key_hash
    assert len(plan.key_hash) == 16

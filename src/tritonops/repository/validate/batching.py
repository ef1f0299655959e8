"""max_batch_size and dynamic batching: preferred sizes, priorities, queue policies, strategies."""

from __future__ import annotations

from pathlib import Path

from tritonclient.grpc import model_config_pb2 as pb

from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.safe_read import exists

_STRATEGY = "TRITON_BATCH_STRATEGY_PATH"


def check_batching(folder: ModelFolder) -> None:
    config = folder.config
    if config is None:
        return
    mbs = config.max_batch_size
    if mbs < 0:
        folder.report(
            "TRITON-B001",
            f"max_batch_size is {mbs}; it must be >= 0",
            "use 0 for a model without batching, or the largest batch the model accepts",
            path="max_batch_size",
        )
    _strategy(folder)
    if not config.HasField("dynamic_batching"):
        return
    batching = config.dynamic_batching
    if mbs == 0:
        folder.report(
            "TRITON-B003",
            f"'{folder.name}' enables dynamic_batching with max_batch_size 0; Triton accepts "
            "it but never batches requests",
            "set max_batch_size > 0 (and drop the batch dim from dims) or remove dynamic_batching",
            path="dynamic_batching",
        )
    else:
        for i, size in enumerate(batching.preferred_batch_size):
            if size <= 0 or size > mbs:
                folder.report(
                    "TRITON-B002",
                    f"dynamic_batching preferred_batch_size {size} is outside 1..{mbs}",
                    f"`max_batch_size` must be >= every preferred_batch_size (got {mbs} < "
                    f"{size}) — raise max_batch_size or drop {size}"
                    if size > mbs
                    else f"preferred sizes must be positive — drop {size}",
                    path=f"dynamic_batching.preferred_batch_size[{i}]",
                )
    _priorities(folder)
    _ordering(folder)


def _priorities(folder: ModelFolder) -> None:
    batching = folder.config.dynamic_batching  # type: ignore[union-attr]
    levels = batching.priority_levels
    if levels > 0 and not 1 <= batching.default_priority_level <= levels:
        folder.report(
            "TRITON-B004",
            f"default_priority_level {batching.default_priority_level} is outside "
            f"[1, {levels}] (priority_levels is {levels})",
            f"set default_priority_level between 1 and {levels}",
            path="dynamic_batching.default_priority_level",
        )
    for level in sorted(batching.priority_queue_policy):
        if not 1 <= level <= levels:
            folder.report(
                "TRITON-B005",
                f"priority_queue_policy has key {level}, outside the priority levels [1, {levels}]",
                f"use keys between 1 and {levels}, or raise priority_levels",
                path=f'dynamic_batching.priority_queue_policy["{level}"]',
            )


def _ordering(folder: ModelFolder) -> None:
    batching = folder.config.dynamic_batching  # type: ignore[union-attr]
    if not batching.preserve_ordering:
        return
    if batching.priority_levels > 1:
        folder.report(
            "TRITON-B006",
            f"preserve_ordering cannot go with priority_levels {batching.priority_levels}",
            "drop preserve_ordering or use at most one priority level",
            path="dynamic_batching.preserve_ordering",
        )
    policies = [("default_queue_policy", batching.default_queue_policy)] + [
        (f'priority_queue_policy["{k}"]', v)
        for k, v in sorted(batching.priority_queue_policy.items())
    ]
    for where, policy in policies:
        if (
            policy.timeout_action == pb.ModelQueuePolicy.DELAY
            and policy.default_timeout_microseconds
        ):
            folder.report(
                "TRITON-B006",
                f"preserve_ordering cannot go with a {where} that delays timed-out requests",
                "use timeout_action REJECT, a zero default timeout, or drop preserve_ordering",
                path=f"dynamic_batching.{where}",
            )


def _strategy(folder: ModelFolder) -> None:
    config = folder.config
    assert config is not None
    if _STRATEGY not in config.parameters:
        return
    where = f'parameters["{_STRATEGY}"]'
    if config.HasField("sequence_batching"):
        folder.report(
            "TRITON-B007",
            "a custom batch strategy cannot be used with sequence batching",
            f"remove the {_STRATEGY} parameter or the sequence_batching block",
            path=where,
        )
    value = config.parameters[_STRATEGY].string_value
    if value and not (exists(Path(value)) or exists(folder.path / value)):
        folder.report(
            "TRITON-B007",
            f"custom batch strategy '{value}' is not found here",
            "point TRITON_BATCH_STRATEGY_PATH at the built strategy library on the server",
            path=where,
            severity="warning",
        )

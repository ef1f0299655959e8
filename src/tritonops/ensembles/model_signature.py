"""What the ensemble graph needs to know about a model: its tensors, batch size and steps.

Signatures are plain frozen dataclasses so the graph logic works the same on configs parsed from
disk, rendered from a project file, or built in a test. ``signature_from_proto`` reads Triton's own
``inference.ModelConfig`` message; a mirror ``ModelConfig`` converts with ``model_config.to_proto``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tritonclient.grpc import model_config_pb2


@dataclass(frozen=True)
class TensorSig:
    """One input or output: ``dims`` exclude the batch dim; ``reshape`` is None when absent."""

    name: str
    data_type: str
    dims: tuple[int, ...]
    reshape: tuple[int, ...] | None = None
    optional: bool = False


@dataclass(frozen=True)
class StepSig:
    """One ensemble step; maps go step-model tensor name -> ensemble tensor name."""

    model_name: str
    model_version: int = -1
    input_map: tuple[tuple[str, str], ...] = ()
    output_map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ModelSig:
    """A model as the ensemble graph sees it.

    ``io_known`` is False when the config leaves inputs and outputs to auto-complete (no config, or
    none listed): checks that need the step's tensors are skipped rather than guessed.
    ``versions`` is None when unknown (then pinned versions are not checked).
    """

    name: str
    max_batch_size: int = 0
    inputs: tuple[TensorSig, ...] = ()
    outputs: tuple[TensorSig, ...] = ()
    decoupled: bool = False
    io_known: bool = True
    versions: frozenset[int] | None = None
    steps: tuple[StepSig, ...] | None = None  # None: not an ensemble
    has_instance_group: bool = False
    has_optimization: bool = False
    has_warmup: bool = False

    @property
    def is_ensemble(self) -> bool:
        return self.steps is not None

    def input(self, name: str) -> TensorSig | None:
        return next((t for t in self.inputs if t.name == name), None)

    def output(self, name: str) -> TensorSig | None:
        return next((t for t in self.outputs if t.name == name), None)


def _tensor(message: Any, optional: bool) -> TensorSig:
    reshape = tuple(message.reshape.shape) if message.HasField("reshape") else None
    return TensorSig(
        name=message.name,
        data_type=_type_name(message.data_type),
        dims=tuple(message.dims),
        reshape=reshape,
        optional=optional,
    )


def _type_name(value: int) -> str:
    return str(model_config_pb2.DataType.Name(value))


def signature_from_proto(
    message: Any, versions: frozenset[int] | None = None, *, io_known: bool | None = None
) -> ModelSig:
    """The signature of an ``inference.ModelConfig`` message (``name`` comes from the message)."""
    steps: tuple[StepSig, ...] | None = None
    if message.HasField("ensemble_scheduling") or message.platform == "ensemble":
        steps = tuple(
            StepSig(
                model_name=s.model_name,
                model_version=s.model_version,
                input_map=tuple(sorted(s.input_map.items())),
                output_map=tuple(sorted(s.output_map.items())),
            )
            for s in message.ensemble_scheduling.step
        )
    inputs = tuple(_tensor(t, t.optional) for t in message.input)
    outputs = tuple(_tensor(t, False) for t in message.output)
    known = bool(inputs or outputs) if io_known is None else io_known
    return ModelSig(
        name=message.name,
        max_batch_size=message.max_batch_size,
        inputs=inputs,
        outputs=outputs,
        decoupled=message.model_transaction_policy.decoupled,
        io_known=known or steps is not None,
        versions=versions,
        steps=steps,
        has_instance_group=len(message.instance_group) > 0,
        has_optimization=message.HasField("optimization"),
        has_warmup=len(message.model_warmup) > 0,
    )

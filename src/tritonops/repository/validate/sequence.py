"""Sequence batching: control tensors, strategy limits, and cache compatibility."""

from __future__ import annotations

from typing import Any

from tritonclient.grpc import model_config_pb2 as pb

from tritonops.repository.validate.model import ModelFolder

_CONTROL = pb.ModelSequenceBatching.Control
_CORRID_TYPES = (pb.TYPE_UINT64, pb.TYPE_INT64, pb.TYPE_UINT32, pb.TYPE_INT32, pb.TYPE_STRING)
_LISTS = ("int32_false_true", "fp32_false_true", "bool_false_true")


def check_sequence(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or not config.HasField("sequence_batching"):
        return
    seq = config.sequence_batching
    kinds: dict[int, str] = {}
    names: dict[str, int] = {}
    for i, control_input in enumerate(seq.control_input):
        where = f"sequence_batching.control_input[{i}]"
        # core src/model_config_utils.cc (GetBooleanSequenceControlProperties): a tensor name may
        # appear in one control_input entry only ("... is specified for multiple control kinds").
        if control_input.name and control_input.name in names:
            folder.report(
                "TRITON-Q009",
                f"sequence control tensor '{control_input.name}' is declared in two "
                f"control_input entries (#{names[control_input.name]} and #{i}); Triton "
                "refuses to load the model",
                "give each control kind its own tensor name",
                path=f"{where}.name",
            )
        names.setdefault(control_input.name, i)
        if not control_input.name:
            folder.report(
                "TRITON-Q001",
                f"sequence control input #{i} has no name",
                'name the tensor the model receives, e.g. `name: "START"`',
                path=where,
            )
        if not control_input.control:
            folder.report(
                "TRITON-Q001",
                f"sequence control input '{control_input.name}' has no control",
                "add one `control [ { kind: CONTROL_SEQUENCE_... } ]`",
                path=where,
                severity="warning",
            )
        if len(control_input.control) > 1:
            folder.report(
                "TRITON-Q008",
                f"sequence control input '{control_input.name}' carries "
                f"{len(control_input.control)} controls; a tensor carries one",
                "use one control_input tensor per control kind",
                path=where,
            )
        for j, control in enumerate(control_input.control):
            path = f"{where}.control[{j}]"
            name = _CONTROL.Kind.Name(control.kind)
            if control.kind in kinds:
                folder.report(
                    "TRITON-Q004",
                    f"control {name} appears twice (tensors '{kinds[control.kind]}' and "
                    f"'{control_input.name}')",
                    f"keep one {name} control",
                    path=path,
                )
            kinds.setdefault(control.kind, control_input.name)
            _control(folder, path, control_input.name, name, control)
    _strategies(folder, seq, config.max_batch_size)
    if config.response_cache.enable:
        folder.report(
            "TRITON-Q007",
            f"'{folder.name}' uses sequence batching with response_cache enabled; Triton "
            "refuses this combination",
            "remove `response_cache { enable: true }`",
            path="response_cache",
        )


def _control(folder: ModelFolder, path: str, tensor: str, name: str, control: Any) -> None:
    filled = [field for field in _LISTS if len(getattr(control, field))]
    if control.kind == _CONTROL.CONTROL_SEQUENCE_CORRID:
        if filled or control.data_type not in _CORRID_TYPES:
            folder.report(
                "TRITON-Q003",
                f"CORRID control on '{tensor}' "
                + (f"sets {filled[0]}" if filled else "has a data_type outside the allowed ones"),
                "give CORRID only `data_type` (TYPE_UINT64, TYPE_INT64, TYPE_UINT32, "
                "TYPE_INT32 or TYPE_STRING) and no *_false_true list",
                path=path,
            )
        return
    if len(filled) != 1 or len(getattr(control, filled[0])) != 2:
        got = (
            f"{len(filled)} lists"
            if len(filled) != 1
            else f"{len(getattr(control, filled[0]))} values in {filled[0]}"
        )
        folder.report(
            "TRITON-Q002",
            f"{name} control on '{tensor}' needs exactly one of {', '.join(_LISTS)} "
            f"with 2 entries (got {got})",
            "e.g. `int32_false_true: [ 0, 1 ]`",
            path=path,
        )


def _strategies(folder: ModelFolder, seq: Any, mbs: int) -> None:
    if seq.HasField("oldest"):
        for i, size in enumerate(seq.oldest.preferred_batch_size):
            if size <= 0 or size > mbs:
                folder.report(
                    "TRITON-Q005",
                    f"sequence_batching oldest preferred_batch_size {size} is outside "
                    f"1..{mbs} (max_batch_size {mbs})",
                    f"raise max_batch_size or drop {size}",
                    path=f"sequence_batching.oldest.preferred_batch_size[{i}]",
                )
    if seq.HasField("direct"):
        value = seq.direct.minimum_slot_utilization
        if not 0.0 <= value <= 1.0:
            folder.report(
                "TRITON-Q006",
                f"direct.minimum_slot_utilization is {value}; it must be within [0, 1]",
                "use a fraction such as 0.5",
                path="sequence_batching.direct.minimum_slot_utilization",
            )

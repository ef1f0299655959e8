"""openvino models: the config's tensors against the IR in model.xml (OpenVINO IR).

openvino_backend src/openvino.cc, ``ValidateConfigureModel``, ``ValidateInputs`` and
``ValidateOutputs``: the model must have exactly as many inputs as the config lists, each config
input and output must name a model tensor, and its dims must match the model's shape
(src/openvino_utils.cc, ``CompareDimsSupported``: with max_batch_size > 0 the first model dim is
the batch dim and is not compared). The IR's inputs are its ``Parameter`` layers, its outputs the
tensors feeding its ``Result`` layers; a tensor's names are the ``names`` attribute of the port
that produces it (IR v11), its layer name otherwise. Any of those names is accepted here (the
backend matches one of them), so only a name the IR has nowhere is reported. Dims are compared
only where both sides are fixed (a -1 in the config or a dynamic model dim is never reported).
The backend fills an EMPTY input or output list itself (nothing is checked then).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from tritonops.repository.validate.model import ModelFolder

# larger IR headers are not read: the weights live in model.bin, so model.xml stays small
MAX_XML_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class IrTensor:
    names: frozenset[str]
    shape: tuple[int | None, ...] | None  # None for a dynamic dim; None when not written down


@dataclass(frozen=True)
class IrModel:
    inputs: list[IrTensor]
    outputs: list[IrTensor]


def read_ir(path: Path) -> IrModel | None:
    """The inputs and outputs of an IR file, None when it cannot be read."""
    try:
        if path.stat().st_size > MAX_XML_BYTES:
            return None
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError, ValueError):
        return None
    layers = {layer.get("id", ""): layer for layer in root.iter("layer")}
    inputs = [
        _tensor(layer, _port(layer, "output", None))
        for layer in layers.values()
        if layer.get("type") == "Parameter"
    ]
    outputs = []
    for edge in root.iter("edge"):
        target = layers.get(edge.get("to-layer", ""))
        source = layers.get(edge.get("from-layer", ""))
        if target is None or source is None or target.get("type") != "Result":
            continue
        tensor = _tensor(source, _port(source, "output", edge.get("from-port")))
        outputs.append(IrTensor(tensor.names | {target.get("name", "")} - {""}, tensor.shape))
    return IrModel(inputs, outputs)


def _port(layer: ET.Element, side: str, port_id: str | None) -> ET.Element | None:
    for group in layer.findall(side):
        for port in group.findall("port"):
            if port_id is None or port.get("id") == port_id:
                return port
    return None


def _tensor(layer: ET.Element, port: ET.Element | None) -> IrTensor:
    names = {layer.get("name", "")}
    shape: tuple[int | None, ...] | None = None
    if port is not None:
        names.update(n.strip() for n in port.get("names", "").split(",") if n.strip())
        shape = tuple(_dim(d.text) for d in port.findall("dim"))
    names.discard("")
    return IrTensor(frozenset(names), shape)


def _dim(text: str | None) -> int | None:
    try:
        value = int((text or "").strip())
    except ValueError:
        return None  # "?", "1..8": dynamic
    return value if value >= 0 else None


def check_openvino(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or folder.backend != "openvino" or not (config.input or config.output):
        return
    name = config.default_model_filename or "model.xml"
    for version in folder.selected:
        if not folder.versions[version].isdigit():
            continue
        path = folder.path / str(version) / name
        if not path.is_file():
            continue  # a missing file is a layout error
        model = read_ir(path)
        if model is None or not model.inputs:
            continue  # unreadable, or no Parameter layers found: not checked
        _check_model(folder, config, model, path.relative_to(folder.root).as_posix())


def _check_model(folder: ModelFolder, config: Any, model: IrModel, rel: str) -> None:
    params = config.parameters
    reshapes_inputs = "RESHAPE_IO_LAYERS" in params and params[
        "RESHAPE_IO_LAYERS"
    ].string_value.strip().lower() in ("yes", "true", "1", "on")
    shown = ", ".join(sorted(min(t.names) for t in model.inputs))
    count_wrong = bool(config.input) and len(config.input) != len(model.inputs)
    if count_wrong:
        folder.report(
            "TRITON-O010",
            f"config of '{folder.name}' lists {len(config.input)} inputs but '{rel}' has "
            f"{len(model.inputs)} ({shown}); the openvino backend refuses the load",
            "declare exactly the model's inputs in config.pbtxt",
            path="input",
        )
    for kind, declared, tensors, code in (
        ("input", config.input, model.inputs, "TRITON-O009"),
        ("output", config.output, model.outputs, "TRITON-O011"),
    ):
        if not tensors:
            continue  # outputs not found (no Result edges): not checked
        names = ", ".join(sorted(min(t.names) for t in tensors))
        for i, tensor in enumerate(declared):
            found = next((t for t in tensors if tensor.name in t.names), None)
            if found is None:
                if tensor.name:
                    folder.report(
                        code,
                        f"{kind} '{tensor.name}' is not an {kind} of '{rel}' (its {kind}s: "
                        f"{names})",
                        f"use the model's own {kind} names in config.pbtxt",
                        path=f"{kind}[{i}].name",
                    )
                continue
            if count_wrong or (kind == "input" and reshapes_inputs):
                # the backend stops at a wrong count; RESHAPE_IO_LAYERS reshapes inputs to the
                # config's dims instead of comparing them
                continue  # the backend reshapes the model's inputs to the config's dims
            _check_dims(folder, config, kind, i, tensor, found, rel)


def _check_dims(
    folder: ModelFolder, config: Any, kind: str, i: int, tensor: Any, found: IrTensor, rel: str
) -> None:
    if found.shape is None:
        return
    dims = list(tensor.reshape.shape) if tensor.HasField("reshape") else list(tensor.dims)
    batching = config.max_batch_size > 0
    full: list[int] = [-1, *dims] if batching else dims
    model = list(found.shape)
    shown = [-1 if d is None else d for d in model]
    wrong = len(model) != len(full) or any(
        m is not None and c != -1 and m != c
        for k, (m, c) in enumerate(zip(model, full, strict=True))
        if not (batching and k == 0)
    )
    if wrong:
        batch_note = " (max_batch_size > 0 adds the batch dim)" if batching else ""
        folder.report(
            "TRITON-O012",
            f"config {kind} '{tensor.name}' has shape {full}{batch_note} but '{rel}' gives it "
            f"{shown}; the openvino backend refuses the load",
            f"set dims to {shown[1:] if batching else shown}"
            + (" (without the batch dim)" if batching else ""),
            path=f"{kind}[{i}].dims",
        )

"""openvino models: the config's inputs against the Parameter layers of model.xml (OpenVINO IR).

openvino_backend src/openvino.cc, ``ModelState::ValidateConfigureModel`` and ``ValidateInputs``:
the model must have exactly as many inputs as the config lists, and each config input must name a
model input. The IR's inputs are its ``Parameter`` layers; a layer's tensor names are the ``names``
attribute of its output port (IR v11), its layer ``name`` otherwise. Any of those names is
accepted here (the backend matches one of them), so only a name the IR has nowhere is reported.
The backend fills an EMPTY input list itself (openvino_io does nothing then).
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from tritonops.repository.validate.model import ModelFolder

# larger IR headers are not read: the weights live in model.bin, so model.xml stays small
MAX_XML_BYTES = 64 * 1024 * 1024


def read_inputs(path: Path) -> list[set[str]] | None:
    """The tensor names of each Parameter layer of an IR file, None when it cannot be read."""
    try:
        if path.stat().st_size > MAX_XML_BYTES:
            return None
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError, ValueError):
        return None
    inputs: list[set[str]] = []
    for layer in root.iter("layer"):
        if layer.get("type") != "Parameter":
            continue
        names = {layer.get("name", "")}
        for port in layer.iter("port"):
            names.update(n.strip() for n in port.get("names", "").split(",") if n.strip())
        names.discard("")
        inputs.append(names)
    return inputs


def check_openvino(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or folder.backend != "openvino" or not config.input:
        return
    name = config.default_model_filename or "model.xml"
    for version in folder.selected:
        if not folder.versions[version].isdigit():
            continue
        path = folder.path / str(version) / name
        if not path.is_file():
            continue  # a missing file is a layout error
        inputs = read_inputs(path)
        if not inputs:
            continue  # unreadable, or no Parameter layers found: not checked
        rel = path.relative_to(folder.root).as_posix()
        known = set().union(*inputs)
        shown = ", ".join(sorted(min(n) for n in inputs))
        if len(config.input) != len(inputs):
            folder.report(
                "TRITON-O010",
                f"config of '{folder.name}' lists {len(config.input)} inputs but '{rel}' has "
                f"{len(inputs)} ({shown}); the openvino backend refuses the load",
                "declare exactly the model's inputs in config.pbtxt",
                path="input",
            )
        for i, tensor in enumerate(config.input):
            if tensor.name and tensor.name not in known:
                folder.report(
                    "TRITON-O009",
                    f"input '{tensor.name}' is not an input of '{rel}' (its inputs: {shown})",
                    "use the model's own input names in config.pbtxt",
                    path=f"input[{i}].name",
                )

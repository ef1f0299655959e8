"""What each backend's auto-complete adds to config.pbtxt, as facts from the backend's own source.

Triton asks the backend to complete the config at load time (unless the server runs with
``--disable-auto-complete-config``), and validates the completed config afterwards. A field the
backend fills is therefore not missing. Per backend (each from its repository on GitHub):

- tensorrt (tensorrt_backend src/model_state.cc, ``FixIO``): an empty input/output list is taken
  from the engine; a declared tensor whose name the engine has gets its ``data_type`` (when unset
  or TYPE_INVALID) and ``dims`` (when empty) from the engine. max_batch_size too.
- dali (dali_backend README, "Configuration auto-complete" and "Partial configuration"): inputs,
  outputs, their dtypes and dims and max_batch_size come from the pipeline (``model.dali``, or
  ``dali.py`` autoserialized); the config may name only some fields of a tensor.
- onnxruntime (onnxruntime_backend src/onnxruntime.cc, ``AutoCompleteIO``) and openvino
  (openvino_backend src/openvino.cc, ``AutoCompleteInputOrOutput``): only an EMPTY input or output
  list is filled; declared tensors are left as written.
- fastertransformer (fastertransformer_backend src/libfastertransformer.cc, ``AutoCompleteConfig``):
  with ``model_type`` T5-Encoder it sets the data_type of outputs ``output_hidden_state`` and
  ``output_attentions``, with ``bert`` of input ``input_hidden_state`` and output
  ``output_hidden_state``, from its ``data_type`` parameter; nothing else.
- pytorch (pytorch_backend src/pt/model_state.cc): auto-complete is "not supported" and skipped, and
  the load fails unless the config lists as many inputs (plus batch inputs, sequence controls and
  states) as the TorchScript forward() takes (src/pt/model_instance_state.cc, ``ValidateInputs``).
- python: whatever ``auto_complete_config`` adds (python_autocomplete).
"""

from __future__ import annotations

from typing import Any

from tritonclient.grpc import model_config_pb2 as pb

from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.python_checks import python_completion

_FT_FILLED = {
    "T5-Encoder": {"output": {"output_hidden_state", "output_attentions"}},
    "bert": {"input": {"input_hidden_state"}, "output": {"output_hidden_state"}},
}
_BOTH = frozenset({"data_type", "dims"})
_NONE: frozenset[str] = frozenset()


def auto_complete(folder: ModelFolder) -> bool:
    """False when the server runs with --disable-auto-complete-config (--strict-model-config).

    core src/model_repository_manager/model_repository_manager.cc: without autofill, config.pbtxt
    must exist and its inputs and outputs are validated as written, before any backend runs (the
    backend is not asked to complete them); the backend and platform are still derived from the
    model files (AutoCompleteBackendFields runs either way).
    """
    return bool(folder.cache.get("auto_complete", True))


def filled_fields(folder: ModelFolder, kind: str, name: str) -> frozenset[str]:
    """Fields of the declared ``kind`` tensor ``name`` that the backend fills at load time."""
    if not auto_complete(folder):
        return _NONE
    backend = folder.backend
    if backend in ("tensorrt", "dali"):
        return _BOTH
    if backend == "python":
        completion = python_completion(folder)
        if completion is None:
            return _NONE
        if not completion.known:
            return _BOTH  # added at run time: assume it may be completed
        names = completion.input_names if kind == "input" else completion.output_names
        return _BOTH if name in names else _NONE
    if backend == "fastertransformer" and folder.config is not None:
        params = folder.config.parameters
        model_type = params["model_type"].string_value if "model_type" in params else ""
        has_type = "data_type" in params
        if has_type and name in _FT_FILLED.get(model_type, {}).get(kind, set()):
            return frozenset({"data_type"})
    return _NONE


def check_backend_io(folder: ModelFolder) -> None:
    """A pytorch model with no inputs or outputs: its backend cannot fill them in."""
    if not folder.config_present and not auto_complete(folder):
        folder.report(
            "TRITON-S011",
            f"'{folder.name}' has no config.pbtxt; with auto-complete disabled "
            "(--disable-auto-complete-config / --strict-model-config) Triton cannot load it",
            f"add '{folder.config_file}' with the backend, inputs and outputs",
            file=folder.config_file,
        )
        return
    if folder.backend != "pytorch" or folder.is_ensemble:
        return
    config = folder.config
    if config is None and folder.config_present:
        return  # unparseable: reported already
    if config is None:
        inputs = outputs = 0
    else:
        seq = config.sequence_batching
        inputs = len(config.input) + len(config.batch_input)
        inputs += len(seq.control_input) + len(seq.state)
        outputs = len(config.output)
    missing = [k for k, n in (("inputs", inputs), ("outputs", outputs)) if n == 0]
    if not missing:
        return
    what = " and ".join(missing)
    folder.report(
        "TRITON-S009",
        f"pytorch model '{folder.name}' declares no {what}; the pytorch backend cannot "
        "auto-complete a config (TorchScript keeps no tensor metadata), so the load fails or "
        "the model answers with nothing",
        f"declare the model's {what} in config.pbtxt (names, data_type, dims)",
        path="name" if config is not None else "",
        file=None if config is not None else folder.config_file,
    )


def effective_config(folder: ModelFolder) -> tuple[Any, bool]:
    """The config as Triton holds it after auto-complete, as far as known, and whether its
    tensors are known (False: the backend adds or fills tensors that cannot be seen here)."""
    config = folder.config
    assert config is not None
    backend = folder.backend
    declared = bool(config.input or config.output)
    if not auto_complete(folder):
        return config, True  # the config is all there is
    if backend in ("tensorrt", "dali"):
        complete = all(t.dims and t.data_type for t in (*config.input, *config.output))
        return config, declared and complete
    if backend != "python":
        return config, declared
    completion = python_completion(folder)
    if completion is None or not (completion.inputs or completion.outputs):
        return config, declared and (completion is None or completion.known)
    if not completion.known:
        return config, False
    merged = type(config)()
    merged.CopyFrom(config)
    for tensors, added in ((merged.input, completion.inputs), (merged.output, completion.outputs)):
        by_name = {t.name: t for t in tensors}
        for _, spec in added:
            tensor = by_name.get(str(spec["name"])) or tensors.add(name=str(spec["name"]))
            try:
                tensor.data_type = pb.DataType.Value(str(spec["data_type"]))
                tensor.ClearField("dims")
                tensor.dims.extend(int(d) for d in spec["dims"])
            except (ValueError, TypeError):
                return config, False  # not a Triton type or not integer dims: cannot tell
    return merged, True

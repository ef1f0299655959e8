"""Source to ONNX graph: torch modules through torch.onnx (dynamo), estimators through skl2onnx.

torch: the torch.export-based exporter (``dynamo=True``). It is the default since torch 2.9, the
TorchScript exporter is deprecated (a DeprecationWarning on every call) and slated for removal,
and dynamic batch sizes are declared with ``torch.export.Dim``. It needs onnxscript and exports
opset 18 or newer. Graphs are kept in one protobuf (no external data): artifacts over 2 GB fail
at export with a message; such models are out of this builder's scope.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import onnx

from tritonops.builders.onnx.failures import ONNX_EXTRA, failing, quiet, require
from tritonops.builders.onnx.parity import Arrays, Feeds, Reference, run_artifact
from tritonops.builders.onnx.signature import opsets
from tritonops.builders.onnx.sources import SklearnSource, TorchSource, require_torch
from tritonops.errors import BuildError
from tritonops.spec.onnx_build import OnnxBuild

# loggers that warn about the exporter's own internals (e.g. torchvision ops it skips)
_TORCH_LOGGERS = ("torch.onnx", "torch.export", "torch._dynamo", "torch.fx")


def export_torch(name: str, src: TorchSource, opts: OnnxBuild) -> tuple[onnx.ModelProto, Reference]:
    """The module in eval mode, exported with a dynamic batch axis on every input and output."""
    require_torch(name)
    import torch

    module = src.module.eval()
    examples = src.examples
    if opts.dynamic_batch:
        # torch.export fixes any axis whose example size is 1, so a batch of one becomes two
        examples = tuple(
            t.repeat(2, *[1] * (t.dim() - 1)) if t.shape[0] == 1 else t for t in examples
        )
    with failing(name, "running the module on its examples", "fix forward()"), torch.no_grad():
        outputs = _flatten(module(*examples))
    in_names = list(opts.input_names or _argument_names(module, len(examples)))
    out_names = list(opts.output_names or _default_outputs(len(outputs)))
    _check_count(name, "input_names", in_names, len(examples))
    _check_count(name, "output_names", out_names, len(outputs))
    dynamic: tuple[dict[int, Any], ...] | None = None
    if opts.dynamic_batch:
        batch = torch.export.Dim("batch")
        dynamic = tuple({0: batch} for _ in examples)
    fix = (
        "make forward() traceable by torch.export (no data-dependent Python branches), set"
        " onnx.dynamic_batch: false, or export it yourself and point source at the .onnx"
    )
    with failing(name, "torch.onnx.export", fix), quiet(*_TORCH_LOGGERS), torch.no_grad():
        program = torch.onnx.export(
            module,
            examples,
            dynamo=True,
            input_names=in_names,
            output_names=out_names,
            opset_version=opts.opset,
            dynamic_shapes=dynamic,
            external_data=False,
            verbose=False,
        )
        if program is None:  # only returned as None by the TorchScript exporter
            raise BuildError(f"model {name!r}: torch.onnx.export gave no program — upgrade torch")
        proto: onnx.ModelProto = program.model_proto
    exported = opsets(proto).get("", 0)
    if opts.opset is not None and exported != opts.opset:
        raise BuildError(
            f"model {name!r}: torch exported opset {exported}, not the requested {opts.opset}"
            f" — set onnx.opset to {exported} or newer (the exporter starts at 18), or remove it"
        )

    def run(feeds: Feeds) -> Arrays:
        tensors = [torch.from_numpy(np.ascontiguousarray(feeds[n])) for n in in_names]
        with torch.no_grad():
            return [t.detach().cpu().numpy() for t in _flatten(module(*tensors))]

    ranges = {
        n: (int(t.min()), int(t.max()))
        for n, t in zip(in_names, examples, strict=True)
        if not t.is_floating_point() and t.dtype != torch.bool and t.numel()
    }
    shapes = {n: tuple(t.shape) for n, t in zip(in_names, examples, strict=True)}
    return proto, Reference(run, shapes=shapes, int_ranges=ranges)


def _flatten(outputs: Any) -> list[Any]:
    import torch

    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, tuple | list) and all(isinstance(o, torch.Tensor) for o in outputs):
        return list(outputs)
    raise BuildError(
        f"forward() returned {type(outputs).__name__}; the ONNX export needs a tensor or a tuple"
        " of tensors — return tensors (wrap the module if it returns a dict)"
    )


def _argument_names(module: Any, count: int) -> list[str]:
    params = [
        p.name
        for p in inspect.signature(module.forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return params[:count] if len(params) >= count else [f"input_{i}" for i in range(count)]


def _default_outputs(count: int) -> list[str]:
    return ["output"] if count == 1 else [f"output_{i}" for i in range(count)]


def _check_count(name: str, key: str, names: list[str], count: int) -> None:
    if len(names) != count:
        raise BuildError(
            f"model {name!r}: onnx.{key} lists {len(names)} names but the model has {count}"
            f" — list exactly {count}"
        )


def convert_sklearn(
    name: str, src: SklearnSource, opts: OnnxBuild
) -> tuple[onnx.ModelProto, Reference]:
    """skl2onnx, one float input [batch, features]; classifiers give plain tensors (no ZipMap)."""
    require("skl2onnx", name, ONNX_EXTRA)
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.base import is_classifier

    est = src.estimator
    features = getattr(est, "n_features_in_", None)
    if features is None and src.sample is not None:
        features = src.sample.shape[1]
    if features is None:
        raise BuildError(
            f"model {name!r}: {type(est).__name__} does not say how many features it takes"
            " — fit it before saving, or use a factory that returns (estimator, X_sample)"
        )
    if opts.input_names is not None and len(opts.input_names) != 1:
        raise BuildError(
            f"model {name!r}: a scikit-learn model has one input, onnx.input_names lists"
            f" {len(opts.input_names)} — list one name"
        )
    in_name = opts.input_names[0] if opts.input_names else "input"
    classifier = bool(is_classifier(est))
    shape = [None if opts.dynamic_batch else 1, int(features)]
    options = {id(est): {"zipmap": False}} if classifier else None
    fix = "check that skl2onnx supports this estimator (its converter list), or export it yourself"
    with failing(name, "skl2onnx conversion", fix), quiet("skl2onnx"):
        proto: onnx.ModelProto = to_onnx(
            est,
            initial_types=[(in_name, FloatTensorType(shape))],
            options=options,
            target_opset=opts.opset,
        )
    if opts.output_names is not None:
        _check_count(name, "output_names", list(opts.output_names), len(proto.graph.output))
        rename_outputs(proto, list(opts.output_names))

    def run(feeds: Feeds) -> Arrays:
        x = feeds[in_name]
        if classifier:
            return [np.asarray(est.predict(x)), np.asarray(est.predict_proba(x))]
        if hasattr(est, "predict"):
            return [np.asarray(est.predict(x))]
        return [np.asarray(est.transform(x))]

    rows = {in_name: src.sample} if src.sample is not None else {}
    note = "" if rows else "inputs are random normal (no X_sample; a factory gives real rows)"
    return proto, Reference(
        run, rows=rows, label_output=0 if classifier else None, classifier=classifier, note=note
    )


def file_reference(original: onnx.ModelProto, name: str) -> Reference:
    """The untransformed file through onnxruntime, for parity after optimize, fp16 or int8."""
    data = original.SerializeToString()
    return Reference(lambda feeds: run_artifact(data, feeds, name))


def rename_outputs(model: onnx.ModelProto, names: list[str]) -> None:
    """Give the graph's outputs new names, rewiring the nodes that produce them."""
    mapping = {o.name: new for o, new in zip(model.graph.output, names, strict=True)}
    for node in model.graph.node:
        node.output[:] = [mapping.get(o, o) for o in node.output]
        node.input[:] = [mapping.get(i, i) for i in node.input]
    for output in model.graph.output:
        output.name = mapping[output.name]

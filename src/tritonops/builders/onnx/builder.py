"""``OnnxBuilder``: an ``onnx`` model's source to a checked, parity-tested ``model.onnx``.

Steps: produce the graph (copy, torch export, or skl2onnx), check it (opset against onnxruntime,
``onnx.checker``, shape inference), change precision (fp16 or dynamic int8), optimize offline,
gate on parity against the source, then write ``model.onnx`` and report its IO signature.
Precision changes run before optimization because the fp16 converter and the quantizer know the
standard ONNX ops, not the fused contrib ops onnxruntime's optimizer produces.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import shutil
from pathlib import Path
from typing import Any

import onnx

from tritonops.builders.base import Artifact, BuildContext, ParityResult
from tritonops.builders.onnx import export, optimize
from tritonops.builders.onnx.failures import failing
from tritonops.builders.onnx.parity import Reference, gate, measure
from tritonops.builders.onnx.signature import check_opset, checked, has_batch_axis, io_signature
from tritonops.builders.onnx.sources import (
    Factory,
    OnnxFile,
    SklearnFile,
    SklearnSource,
    Source,
    classify,
    flavour,
    load_estimator,
    load_factory,
    project_imports,
    source_files,
)
from tritonops.errors import BuildError
from tritonops.spec.onnx_build import OnnxBuild

# bump when a change here changes the artifacts built from the same source and options
BUILDER_VERSION = "1"
FILENAME = "model.onnx"

_FIXES = {
    "fp16": "loosen onnx.parity.atol/rtol or drop fp16",
    "int8_dynamic": "loosen onnx.parity.atol/rtol (or min_top1) or use quantize: none",
    "exact": "check the source (eval mode, deterministic ops) or loosen onnx.parity.atol/rtol",
}


class OnnxBuilder:
    """Builds ``kind: onnx`` models; options come from the model's ``onnx:`` key."""

    kind = "onnx"

    def fingerprint(self, ctx: BuildContext) -> dict[str, Any]:
        opts = _options(ctx)
        source = classify(ctx.model.name, ctx.model.source, ctx.project.root)
        return {
            "builder": self.kind,
            "builder_version": BUILDER_VERSION,
            "source": ctx.model.source,
            "files": {
                _shown(p, ctx.project.root): _sha256(p)
                for p in source_files(source, ctx.project.root)
            },
            "options": opts.model_dump(mode="json"),
            "tools": _tool_versions(source, opts),
        }

    def plan(self, ctx: BuildContext) -> list[str]:
        opts = _options(ctx)
        source = classify(ctx.model.name, ctx.model.source, ctx.project.root)
        kind = flavour(source)
        opset = f"opset {opts.opset}" if opts.opset else "the exporter's default opset"
        batch = "dynamic batch" if opts.dynamic_batch else "fixed batch"
        steps = {
            "onnx": f"copy {ctx.model.source} -> {FILENAME}"
            + (f" (convert to opset {opts.opset})" if opts.opset else ""),
            "torch": f"export torch module {ctx.model.source} ({opset}, {batch}) -> {FILENAME}",
            "sklearn": f"convert scikit-learn estimator {ctx.model.source} with skl2onnx"
            f" ({opset}, {batch}, no ZipMap) -> {FILENAME}",
            "factory": f"call {ctx.model.source}; export the torch module or convert the"
            f" scikit-learn estimator it returns ({opset}, {batch}) -> {FILENAME}",
        }
        plan = [
            steps[kind],
            "check: opset within onnxruntime's, onnx.checker, shape inference",
        ]
        if opts.fp16:
            plan.append(f"convert to fp16 with {optimize.fp16_tool()} (inputs/outputs stay fp32)")
        if opts.quantize != "none":
            plan.append(f"quantize {opts.quantize} with onnxruntime.quantization")
        if opts.optimize != "none":
            plan.append(f"optimize ({opts.optimize}) with onnxruntime, CPU provider")
        plan.append(_parity_step(opts, kind, _transformed(opts)))
        plan.append(f"write {FILENAME}; IO signature from the final graph")
        return plan

    def build(self, ctx: BuildContext) -> Artifact:
        name = ctx.model.name
        opts = _options(ctx)
        source = classify(name, ctx.model.source, ctx.project.root)
        module = source.ref.module if isinstance(source, Factory) else None
        imports = (
            contextlib.nullcontext()
            if isinstance(source, OnnxFile)
            else project_imports(ctx.project.root, module)
        )
        with imports:
            model, reference, converted = _produce(name, source, opts)
            check_opset(model, name)
            model = checked(model, name)
            if opts.fp16:
                model = optimize.to_fp16(model, name)
            if opts.quantize == "int8_dynamic":
                model = optimize.quantize_int8(model, name)
            if opts.optimize != "none":
                model = optimize.optimize_graph(model, opts.optimize, name)
            model = checked(model, name)
            changed = converted or _transformed(opts)
            parity = _parity(name, model, reference, opts, changed)
        with failing(name, f"writing {FILENAME}", "models over 2 GB are not supported"):
            if isinstance(source, OnnxFile) and not changed:
                shutil.copyfile(source.path, ctx.work_dir / FILENAME)  # the user's bytes, as-is
            else:
                (ctx.work_dir / FILENAME).write_bytes(model.SerializeToString())
        signature = io_signature(model, name)
        return Artifact(
            files=(FILENAME,),
            signature=signature,
            parity=parity,
            tools=_tool_versions(source, opts),
            notes=_notes(opts, signature.max_batch_size > 0, parity),
        )


def _options(ctx: BuildContext) -> OnnxBuild:
    return ctx.model.onnx if ctx.model.onnx is not None else OnnxBuild()


def _produce(name: str, source: Source, opts: OnnxBuild) -> tuple[onnx.ModelProto, Reference, bool]:
    """The graph, what to compare it with, and whether it differs from the source by design."""
    if isinstance(source, OnnxFile):
        with failing(name, f"loading {source.path.name}", "point source at a valid .onnx file"):
            original = onnx.load(str(source.path))
        model = original
        current = {o.domain: o.version for o in original.opset_import}.get("", 0)
        if opts.opset is not None and opts.opset != current:
            fix = f"export the model at opset {opts.opset} yourself, or remove onnx.opset"
            with failing(name, f"converting opset {current} to {opts.opset}", fix):
                model = onnx.version_converter.convert_version(original, opts.opset)
        return model, export.file_reference(original, name), model is not original
    if isinstance(source, SklearnFile):
        return (*export.convert_sklearn(name, load_estimator(name, source.path), opts), True)
    if source.file is None:
        raise BuildError(
            f"model {name!r}: module {source.ref.module!r} of factory {source.ref} was not found"
            " under the project folder or on sys.path — fix the source"
        )
    loaded = load_factory(name, source, opts)
    if isinstance(loaded, SklearnSource):
        return (*export.convert_sklearn(name, loaded, opts), True)
    return (*export.export_torch(name, loaded, opts), True)


def _transformed(opts: OnnxBuild) -> bool:
    return opts.fp16 or opts.quantize != "none" or opts.optimize != "none"


def _parity(
    name: str, model: onnx.ModelProto, reference: Reference, opts: OnnxBuild, changed: bool
) -> ParityResult | None:
    if not opts.parity.enabled:
        return None
    if not changed:
        return ParityResult(True, 0.0, 0.0, 0, detail="file copied unchanged; nothing to compare")
    top1 = opts.parity.top1 if opts.parity.top1 is not None else reference.classifier
    result = measure(
        name,
        model,
        reference,
        opts.parity.samples,
        has_batch_axis(model),
        opts.tolerance(),
        top1,
    )
    gate(name, result, FILENAME, _FIXES[opts.transform])
    return result


def _parity_step(opts: OnnxBuild, kind: str, transformed: bool) -> str:
    p = opts.parity
    if not p.enabled:
        return "parity: off (onnx.parity.enabled: false)"
    if kind == "onnx" and not transformed and opts.opset is None:
        return "parity: skipped (the file is copied unchanged)"
    t = opts.tolerance()
    against = "the original file" if kind == "onnx" else "the source model"
    top1 = "" if p.top1 is False else f", top-1 >= {t.min_top1:g}"
    if p.top1 is None:
        top1 = f", top-1 >= {t.min_top1:g} for classifiers" if kind != "onnx" else ""
    return (
        f"parity on {p.samples} samples against {against} (atol {t.atol:g}, rtol {t.rtol:g}{top1})"
    )


def _notes(opts: OnnxBuild, batched: bool, parity: ParityResult | None) -> tuple[str, ...]:
    notes: list[str] = []
    if opts.dynamic_batch and not batched:
        notes.append("the graph has no dynamic batch axis, so it reports max_batch_size 0")
    if opts.optimize in ("extended", "all"):
        notes.append(
            f"optimize: {opts.optimize} fused ops for onnxruntime's CPU provider; the graph may"
            " not run on other providers or onnxruntime versions — use basic for GPU instances"
        )
    if parity is None:
        notes.append("parity was not checked (onnx.parity.enabled: false)")
    elif parity.detail:
        notes.append(f"parity: {parity.detail}")
    return tuple(notes)


def _tool_versions(source: Source, opts: OnnxBuild) -> dict[str, str]:
    names = ["onnx", "onnxruntime"]
    kind = flavour(source)
    if kind in ("torch", "factory"):
        names += ["torch", "onnxscript"]
    if kind in ("sklearn", "factory"):
        names += ["scikit-learn", "skl2onnx"]
    if opts.fp16:
        names.append(optimize.fp16_tool())
    versions: dict[str, str] = {}
    for dist in dict.fromkeys(names):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    return versions


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)

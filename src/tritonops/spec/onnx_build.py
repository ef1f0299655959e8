"""How an ``onnx`` model is built: the ``onnx:`` options of a model, and the forms its source takes.

A source is one of::

    models/resnet.onnx        an ONNX file, copied (and optimized or converted when asked)
    models/clf.joblib         a pickled scikit-learn estimator (.joblib or .pkl), converted
    mypkg.models:make_mlp     a factory: a function importable from the project folder that
                              returns (torch.nn.Module, example_inputs) or (estimator, X_sample)

Parity tolerances left unset follow the transform: fp16 and int8 change the numbers on purpose,
so they get looser defaults than a plain export (see ``OnnxBuild.tolerance``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from tritonops.model_config import DataType
from tritonops.spec.fields import Fraction, NonEmpty, Positive, SpecModel

Optimize = Literal["none", "basic", "extended", "all"]
Quantize = Literal["none", "int8_dynamic"]
Tolerance = Annotated[float, Field(ge=0)]

ONNX_SUFFIXES = (".onnx",)
SKLEARN_SUFFIXES = (".joblib", ".pkl")
_FACTORY = re.compile(r"^(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<attr>[A-Za-z_]\w*)$")


class ParityOptions(SpecModel):
    """The numeric gate: the artifact through onnxruntime vs the source, on seeded random inputs.

    Unset ``atol``/``rtol``/``min_top1`` take the defaults of the transform (``OnnxBuild``);
    ``top1`` unset means on for scikit-learn classifiers and off otherwise.
    """

    enabled: bool = Field(
        examples=[False],
        default=True,
        description="Run the gate; a build whose artifact disagrees with its source fails.",
    )
    samples: Positive = Field(
        default=32, description="How many seeded random input rows are compared.", examples=[64]
    )
    atol: Tolerance | None = Field(
        default=None,
        description="Absolute tolerance; unset: 1e-4 plain, 1e-2 with fp16, 1e-1 with"
        " int8_dynamic.",
        examples=[0.001],
    )
    rtol: Tolerance | None = Field(
        default=None,
        description="Relative tolerance; unset: 1e-3 plain, 1e-2 with fp16, 1e-1 with"
        " int8_dynamic.",
        examples=[0.01],
    )
    top1: bool | None = Field(
        default=None,
        description="Also compare the argmax of each row; unset: on for scikit-learn"
        " classifiers, off otherwise.",
        examples=[True],
    )
    min_top1: Fraction | None = Field(
        default=None,
        description="Share of rows whose argmax must agree; unset: 0.99 (0.95 with int8_dynamic).",
        examples=[0.98],
    )


class ExampleInput(SpecModel):
    """One example tensor for a torch factory that returns only its module (batch axis first)."""

    shape: list[Positive] = Field(
        min_length=1,
        description="The example tensor's shape, batch axis first.",
        examples=[[1, 3, 224, 224]],
    )
    data_type: DataType = Field(
        default=DataType.TYPE_FP32,
        description="Its data type (Triton name or alias such as fp32, int64).",
        examples=["fp32"],
    )


@dataclass(frozen=True)
class ResolvedTolerance:
    atol: float
    rtol: float
    min_top1: float


# (atol, rtol, min_top1) per transform. fp16 keeps ~3 significant digits, so errors of 1e-2 on
# outputs of order 1 are expected; dynamic int8 quantizes activations per tensor at run time,
# which moves outputs by a few percent and can flip near-tie argmaxes.
_DEFAULTS: dict[str, tuple[float, float, float]] = {
    "exact": (1e-4, 1e-3, 0.99),
    "fp16": (1e-2, 1e-2, 0.99),
    "int8_dynamic": (1e-1, 1e-1, 0.95),
}


class OnnxBuild(SpecModel):
    """Options for building an ``onnx`` model (all optional)."""

    opset: Annotated[int, Field(strict=True, ge=7)] | None = Field(
        default=None,
        description="Default-domain ONNX opset to export or convert to; unset: the exporter's"
        " own default.",
        examples=[17],
    )
    dynamic_batch: bool = Field(
        examples=[False],
        default=True,
        description="Export with a dynamic batch axis (dim 0) on every input and output.",
    )
    example_inputs: list[ExampleInput] | None = Field(
        default=None,
        description="Example tensors for a torch factory that returns its module alone.",
        examples=[[{"shape": [1, 4], "data_type": "fp32"}]],
    )
    optimize: Optimize = Field(
        default="none",
        description="onnxruntime's offline graph optimization level applied to the artifact.",
        examples=["extended"],
    )
    fp16: bool = Field(
        examples=[True],
        default=False,
        description="Convert weights and activations to float16; inputs and outputs stay"
        " float32, so the config does not change (not with quantize).",
    )
    quantize: Quantize = Field(
        default="none",
        description="int8_dynamic: onnxruntime dynamic int8 quantization of the weights"
        " (not with fp16).",
        examples=["int8_dynamic"],
    )
    parity: ParityOptions = Field(
        examples=[{"samples": 64, "atol": 0.001, "top1": True}],
        default_factory=ParityOptions,
        description="The numeric gate comparing the artifact with its source.",
    )
    input_names: list[NonEmpty] | None = Field(
        default=None,
        description="Names given to the exported graph's inputs, in order; unset: the"
        " exporter's names (see the project guide).",
        examples=[["input"]],
    )
    output_names: list[NonEmpty] | None = Field(
        default=None,
        description="Names given to the exported graph's outputs, in order.",
        examples=[["probabilities"]],
    )

    @model_validator(mode="after")
    def _one_precision_change(self) -> OnnxBuild:
        # dynamic quantization expects float32 weights; quantizing an fp16 graph does nothing useful
        if self.fp16 and self.quantize != "none":
            raise ValueError("fp16 and quantize cannot be combined — keep one of them")
        return self

    @property
    def transform(self) -> str:
        """Which tolerance family applies: ``exact``, ``fp16`` or ``int8_dynamic``."""
        if self.quantize != "none":
            return self.quantize
        return "fp16" if self.fp16 else "exact"

    def tolerance(self) -> ResolvedTolerance:
        atol, rtol, min_top1 = _DEFAULTS[self.transform]
        p = self.parity
        return ResolvedTolerance(
            atol=atol if p.atol is None else p.atol,
            rtol=rtol if p.rtol is None else p.rtol,
            min_top1=min_top1 if p.min_top1 is None else p.min_top1,
        )


@dataclass(frozen=True)
class FactoryRef:
    """``package.module:function`` split into its parts."""

    module: str
    attr: str

    def __str__(self) -> str:
        return f"{self.module}:{self.attr}"


def parse_factory(source: str) -> FactoryRef | None:
    """The factory a source names, or None when it is not of the ``pkg.module:function`` form."""
    match = _FACTORY.match(source)
    return None if match is None else FactoryRef(match["module"], match["attr"])


def looks_like_factory(source: str) -> bool:
    """True for text meant as a factory (has ``:`` and no file suffix), well-formed or not."""
    return ":" in source and not source.endswith(ONNX_SUFFIXES + SKLEARN_SUFFIXES)


def find_module_file(root: Path, module: str) -> Path | None:
    """The file of ``module`` under ``root`` or a ``sys.path`` folder, found without importing."""
    relative = Path(*module.split("."))
    for base in (root, *(Path(p) for p in sys.path if p)):
        for candidate in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
            try:
                if candidate.is_file():
                    return candidate
            except OSError:
                continue
    return None


def check_onnx_source(source: str, root: Path) -> tuple[str, str] | None:
    """A problem with an ``onnx`` model's source as ``(message, fix)``; None when it looks right.

    Files are checked for existence by the caller; this checks the form and, for a factory, that
    its module file is there (importing it could be slow, so that waits for the build).
    """
    if looks_like_factory(source):
        ref = parse_factory(source)
        if ref is None:
            return (
                f"{source!r} is not a valid factory path",
                "write it as package.module:function, e.g. models.mlp:make",
            )
        if find_module_file(root, ref.module) is None:
            return (
                f"module {ref.module!r} of factory {source!r} was not found in {root}"
                " or on sys.path",
                f"create {Path(*ref.module.split('.'))}.py next to the project file"
                " or install the package that has it",
            )
        return None
    if not source.endswith(ONNX_SUFFIXES + SKLEARN_SUFFIXES):
        return (
            f"{source!r} is not an .onnx file",
            "point source at a .onnx file, a scikit-learn .joblib/.pkl file,"
            " or a factory package.module:function",
        )
    return None

"""OnnxBuilder end to end on tiny sources: torch factories, scikit-learn, .onnx files.

Builds are shared per module (torch's exporter is the slow part); each test reads its own model.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import joblib
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tritonops.builders.base import Artifact, BuildContext
from tritonops.builders.onnx import DEFAULT_MAX_BATCH_SIZE, OnnxBuilder, OnnxParityError, optimize
from tritonops.errors import BuildError
from tritonops.model_config import DataType, Reshape
from tritonops.spec import Project, load_project

FACTORIES = Path(__file__).with_name("onnx_factories.py")

PROJECT = """
models:
  - {name: mlp, kind: onnx, source: "onnx_factories:make_mlp"}
  - {name: mlp_fixed, kind: onnx, source: "onnx_factories:make_mlp", onnx: {dynamic_batch: false}}
  - {name: mlp_fp16, kind: onnx, source: "onnx_factories:make_mlp", onnx: {fp16: true}}
  - name: mlp_int8
    kind: onnx
    source: "onnx_factories:make_mlp"
    onnx: {quantize: int8_dynamic, parity: {top1: true}}
  - name: two_io
    kind: onnx
    source: "onnx_factories:make_two_io"
    onnx: {output_names: [logits, pooled], opset: 18}
  - name: bare
    kind: onnx
    source: "onnx_factories:make_bare_module"
    onnx: {example_inputs: [{shape: [3, 4]}]}
  - {name: logreg, kind: onnx, source: "onnx_factories:make_logreg"}
  - {name: regressor, kind: onnx, source: "onnx_factories:make_regressor"}
  - {name: forest, kind: onnx, source: forest.joblib}
  - {name: file, kind: onnx, source: net.onnx}
  - {name: file_all, kind: onnx, source: net.onnx, onnx: {optimize: all}}
  - {name: file_fp16, kind: onnx, source: net.onnx, onnx: {fp16: true}}
  - {name: file_basic, kind: onnx, source: net.onnx, onnx: {optimize: basic}}
  - {name: nothing, kind: onnx, source: "onnx_factories:make_nothing"}
  - {name: no_function, kind: onnx, source: "onnx_factories:make_missing"}
  - {name: broken, kind: onnx, source: "broken_factory:make"}
"""


def write_net(path: Path, opset: int = 17) -> None:
    """An MLP graph (8 -> 16 -> 3) with a symbolic batch axis, written with onnx.helper."""
    rng = np.random.default_rng(1)
    weights = [
        numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
        for name, shape in (("w1", (8, 16)), ("b1", (16,)), ("w2", (16, 3)))
    ]
    nodes = [
        helper.make_node("MatMul", ["features", "w1"], ["h"]),
        helper.make_node("Add", ["h", "b1"], ["hb"]),
        helper.make_node("Relu", ["hb"], ["r"]),
        helper.make_node("MatMul", ["r", "w2"], ["scores"]),
    ]
    graph = helper.make_graph(
        nodes,
        "net",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 3])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, str(path))


def make_project(root: Path, text: str) -> Project:
    shutil.copy(FACTORIES, root / "onnx_factories.py")
    (root / "tritonops.yaml").write_text(textwrap.dedent(text).lstrip("\n"))
    return load_project(root / "tritonops.yaml")


def context(project: Project, name: str, work: Path) -> BuildContext:
    spec = next(m for m in project.models if m.name == name)
    work.mkdir(parents=True, exist_ok=True)
    return BuildContext(project=project, model=spec, version=1, work_dir=work)


class Builds:
    """Builds each model of the shared project at most once."""

    def __init__(self, project: Project, work: Path) -> None:
        self.project = project
        self.work = work
        self.artifacts: dict[str, Artifact] = {}

    def ctx(self, name: str) -> BuildContext:
        return context(self.project, name, self.work / name)

    def __call__(self, name: str) -> Artifact:
        if name not in self.artifacts:
            self.artifacts[name] = OnnxBuilder().build(self.ctx(name))
        return self.artifacts[name]

    def graph(self, name: str) -> onnx.ModelProto:
        self(name)
        return onnx.load(str(self.work / name / "model.onnx"))


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("onnx-project")
    write_net(root / "net.onnx")
    (root / "broken_factory.py").write_text("raise RuntimeError('no GPU here')\n")
    with _factories_importable(root):
        forest = importlib.import_module("onnx_factories").make_forest()
    joblib.dump(forest, root / "forest.joblib")
    return Builds(make_project(root, PROJECT), tmp_path_factory.mktemp("onnx-work"))


@pytest.fixture
def project_dir(tmp_path: Path) -> Callable[[str], Project]:
    def make(text: str) -> Project:
        write_net(tmp_path / "net.onnx")
        return make_project(tmp_path, text)

    return make


@contextlib.contextmanager
def _factories_importable(root: Path) -> Iterator[None]:
    """``import onnx_factories`` from ``root`` while inside (to make fixture files)."""
    shutil.copy(FACTORIES, root / "onnx_factories.py")
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("onnx_factories", None)


def test_torch_factory_builds_with_a_dynamic_batch_axis(builds: Builds) -> None:
    artifact = builds("mlp")
    assert artifact.files == ("model.onnx",)
    assert (builds.work / "mlp" / "model.onnx").is_file()
    sig = artifact.signature
    assert sig is not None
    assert sig.max_batch_size == DEFAULT_MAX_BATCH_SIZE
    assert [(i.name, i.data_type, i.dims) for i in sig.inputs] == [
        ("input", DataType.TYPE_FP32, [16])
    ]
    assert [(o.name, o.data_type, o.dims) for o in sig.outputs] == [
        ("output", DataType.TYPE_FP32, [5])
    ]
    parity = artifact.parity
    assert parity is not None
    assert parity.ok
    assert parity.samples == 32
    assert parity.max_abs_error <= 1e-4
    assert parity.tolerance == {"atol": 1e-4, "rtol": 1e-3}
    assert {"onnx", "onnxruntime", "torch", "onnxscript"} <= set(artifact.tools)
    onnx.checker.check_model(builds.graph("mlp"))


def test_fixed_batch_export_keeps_the_example_shape(builds: Builds) -> None:
    sig = builds("mlp_fixed").signature
    assert sig is not None
    assert sig.max_batch_size == 0
    assert sig.inputs[0].dims == [1, 16]
    assert sig.outputs[0].dims == [1, 5]


def test_names_integer_inputs_and_two_outputs(builds: Builds) -> None:
    artifact = builds("two_io")
    sig = artifact.signature
    assert sig is not None
    assert [(i.name, i.data_type, i.dims) for i in sig.inputs] == [
        ("ids", DataType.TYPE_INT64, [7]),
        ("feats", DataType.TYPE_FP32, [3]),
    ]
    assert [(o.name, o.dims) for o in sig.outputs] == [("logits", [2]), ("pooled", [6])]
    assert artifact.parity is not None
    assert artifact.parity.ok
    opset = {o.domain: o.version for o in builds.graph("two_io").opset_import}
    assert opset[""] == 18


def test_bare_module_uses_example_inputs_from_the_project_file(builds: Builds) -> None:
    sig = builds("bare").signature
    assert sig is not None
    assert [(i.name, i.dims) for i in sig.inputs] == [("input", [4])]
    assert sig.max_batch_size == DEFAULT_MAX_BATCH_SIZE


def test_fp16_keeps_float32_io_and_passes_its_default_tolerance(builds: Builds) -> None:
    artifact = builds("mlp_fp16")
    assert artifact.parity is not None
    assert artifact.parity.ok
    assert artifact.parity.tolerance["atol"] == 1e-2
    assert artifact.parity.max_abs_error > 0  # the weights really are fp16
    graph = builds.graph("mlp_fp16")
    assert {i.data_type for i in graph.graph.initializer} == {TensorProto.FLOAT16}
    sig = artifact.signature
    assert sig is not None
    assert sig.inputs[0].data_type is DataType.TYPE_FP32
    assert optimize.fp16_tool() in artifact.tools


def test_int8_dynamic_quantization_passes_with_top1(builds: Builds) -> None:
    artifact = builds("mlp_int8")
    parity = artifact.parity
    assert parity is not None
    assert parity.ok
    assert parity.top1_agreement is not None
    assert parity.top1_agreement >= 0.95
    ops = {n.op_type for n in builds.graph("mlp_int8").graph.node}
    assert "DynamicQuantizeLinear" in ops


def test_sklearn_classifier_factory_has_plain_outputs_and_top1(builds: Builds) -> None:
    artifact = builds("logreg")
    sig = artifact.signature
    assert sig is not None
    assert [(i.name, i.data_type, i.dims) for i in sig.inputs] == [
        ("input", DataType.TYPE_FP32, [64])
    ]
    label, proba = sig.outputs
    assert (label.name, label.data_type, label.dims) == ("label", DataType.TYPE_INT64, [1])
    assert label.reshape == Reshape(shape=[])
    assert (proba.name, proba.data_type, proba.dims) == ("probabilities", DataType.TYPE_FP32, [10])
    assert not any(n.op_type == "ZipMap" for n in builds.graph("logreg").graph.node)
    parity = artifact.parity
    assert parity is not None
    assert parity.ok
    assert parity.top1_agreement == 1.0
    assert {"scikit-learn", "skl2onnx"} <= set(artifact.tools)


def test_sklearn_regressor_and_joblib_forest(builds: Builds) -> None:
    regressor = builds("regressor")
    assert regressor.parity is not None
    assert regressor.parity.ok
    assert regressor.parity.top1_agreement is None
    forest = builds("forest")
    assert forest.parity is not None
    assert forest.parity.ok
    assert forest.parity.top1_agreement is not None
    assert forest.parity.top1_agreement >= 0.99
    assert "random normal" in forest.parity.detail  # a file brings no sample rows


def test_onnx_file_is_copied_unchanged(builds: Builds) -> None:
    artifact = builds("file")
    assert (builds.work / "file" / "model.onnx").read_bytes() == (
        builds.project.root / "net.onnx"
    ).read_bytes()
    assert artifact.parity is not None
    assert artifact.parity.samples == 0
    sig = artifact.signature
    assert sig is not None
    assert [(i.name, i.dims) for i in sig.inputs] == [("features", [8])]
    assert [(o.name, o.dims) for o in sig.outputs] == [("scores", [3])]


@pytest.mark.parametrize("name", ["file_all", "file_fp16", "file_basic"])
def test_transformed_file_passes_parity_against_the_original(builds: Builds, name: str) -> None:
    artifact = builds(name)
    assert artifact.parity is not None
    assert artifact.parity.ok
    assert artifact.parity.samples == 32
    if name == "file_all":
        assert any("CPU provider" in note for note in artifact.notes)


def test_fp16_falls_back_to_onnxruntimes_converter(
    builds: Builds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(optimize, "fp16_tool", lambda: "onnxruntime")
    artifact = OnnxBuilder().build(context(builds.project, "file_fp16", builds.work / "fallback"))
    assert artifact.parity is not None
    assert artifact.parity.ok
    assert "onnxconverter-common" not in artifact.tools


def test_parity_gate_rejects_a_perturbed_artifact(
    builds: Builds, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def perturb(model: onnx.ModelProto, level: str, name: str) -> onnx.ModelProto:
        w = model.graph.initializer[0]
        w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w) * 1.05, w.name))
        return model

    monkeypatch.setattr(optimize, "optimize_graph", perturb)
    ctx = context(builds.project, "file_basic", tmp_path / "work")
    with pytest.raises(OnnxParityError) as caught:
        OnnxBuilder().build(ctx)
    parity = caught.value.parity
    assert not parity.ok
    assert parity.max_abs_error > 1e-4
    assert parity.samples == 32
    message = str(caught.value)
    assert message.startswith("model 'file_basic': model.onnx disagrees with its source")
    assert f"max abs error {parity.max_abs_error:.3g}" in message
    assert "(atol 0.0001, rtol 0.001)" in message
    assert message.endswith("loosen onnx.parity.atol/rtol")
    assert list(ctx.work_dir.iterdir()) == []  # nothing written when the gate fails


def test_too_new_opset_names_the_opset_to_use(
    project_dir: Callable[[str], Project], tmp_path: Path
) -> None:
    from tritonops.builders.onnx.signature import runtime_max_opsets

    limit = runtime_max_opsets()[""]
    write_net(tmp_path / "new.onnx", opset=limit + 1)
    project = project_dir("models:\n  - {name: new, kind: onnx, source: new.onnx}\n")
    with pytest.raises(BuildError, match=rf"uses opset {limit + 1} .* set onnx.opset: {limit}$"):
        OnnxBuilder().build(context(project, "new", tmp_path / "work"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nothing", r"returned int, expected \(torch.nn.Module, example_inputs\)"),
        ("no_function", r"has no function 'make_missing' — define it or fix the source$"),
        ("broken", r"importing factory broken_factory:make failed: no GPU here — fix the module"),
    ],
)
def test_factory_failures_are_build_errors(builds: Builds, name: str, expected: str) -> None:
    with pytest.raises(BuildError, match=expected) as caught:
        OnnxBuilder().build(builds.ctx(name))
    assert str(caught.value).startswith(f"model {name!r}: ")


@pytest.mark.parametrize(
    ("missing", "model", "install"),
    [("skl2onnx", "logreg", "tritonops[onnx]"), ("onnxscript", "bare", "tritonops[torch]")],
)
def test_missing_converter_names_the_extra(
    builds: Builds, monkeypatch: pytest.MonkeyPatch, missing: str, model: str, install: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # find_spec then reports it absent
    expected = f"model {model!r} needs the {missing!r} package, not installed — pip install"
    with pytest.raises(BuildError, match=re.escape(f"{expected} '{install}'")):
        OnnxBuilder().build(builds.ctx(model))


def test_bare_module_without_example_inputs_is_rejected(
    project_dir: Callable[[str], Project], tmp_path: Path
) -> None:
    project = project_dir(
        'models:\n  - {name: bare, kind: onnx, source: "onnx_factories:make_bare_module"}\n'
    )
    with pytest.raises(BuildError, match="returned a module without example inputs"):
        OnnxBuilder().build(context(project, "bare", tmp_path / "work"))

"""The ONNX builder's parts that need no export: spec options, sources, parity maths, signatures,
fingerprints and plans."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tritonops.builders.base import BuildContext
from tritonops.builders.onnx import OnnxBuilder
from tritonops.builders.onnx.parity import Reference, compare, make_feeds
from tritonops.builders.onnx.signature import has_batch_axis, io_signature
from tritonops.errors import SpecError, SpecIssue
from tritonops.model_config import DataType, Reshape
from tritonops.spec import Project, load_project
from tritonops.spec.onnx_build import OnnxBuild, ResolvedTolerance

EXACT = ResolvedTolerance(atol=1e-4, rtol=1e-3, min_top1=0.99)


def write(root: Path, text: str) -> Path:
    path = root / "tritonops.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def issues(root: Path, text: str) -> dict[str, SpecIssue]:
    with pytest.raises(SpecError) as caught:
        load_project(write(root, text))
    return {i.path: i for i in caught.value.issues}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "a.onnx").write_bytes(b"onnx")
    (tmp_path / "clf.joblib").write_bytes(b"pickle")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "nets.py").write_text(
        "import torch\n\nfrom pkg import layers\n\ndef make(): ...\n"
    )
    (tmp_path / "pkg" / "layers.py").write_text("WIDTH = 4\n")
    (tmp_path / "pkg" / "unused.py").write_text("# nets does not import this\n")
    (tmp_path / "skl.py").write_text("from sklearn.linear_model import Ridge\n")
    return tmp_path


# --- spec -----------------------------------------------------------------------------------


def test_onnx_options_load_with_their_defaults(root: Path) -> None:
    project = load_project(
        write(
            root,
            """
            models:
              - {name: a, kind: onnx, source: a.onnx, onnx: {fp16: true, parity: {samples: 8}}}
              - {name: b, kind: onnx, source: "pkg.nets:make"}
              - {name: c, kind: onnx, source: clf.joblib, onnx: {quantize: int8_dynamic}}
            """,
        )
    )
    a, b, c = project.models
    assert a.onnx is not None
    assert a.onnx.parity.samples == 8
    assert a.onnx.dynamic_batch
    assert (a.onnx.tolerance().atol, a.onnx.tolerance().rtol) == (1e-2, 1e-2)
    assert b.onnx is None
    assert c.onnx is not None
    assert c.onnx.tolerance().min_top1 == 0.95


def test_tolerance_defaults_follow_the_transform_unless_set() -> None:
    assert OnnxBuild().tolerance() == EXACT
    assert OnnxBuild(optimize="all").tolerance() == EXACT
    set_ = OnnxBuild.model_validate({"fp16": True, "parity": {"atol": 0.5, "min_top1": 0.9}})
    assert set_.tolerance() == ResolvedTolerance(atol=0.5, rtol=1e-2, min_top1=0.9)


def test_bad_onnx_options_are_located(root: Path) -> None:
    found = issues(
        root,
        """
        models:
          - {name: a, kind: onnx, source: a.onnx, onnx: {optimize: fast}}
          - {name: b, kind: onnx, source: a.onnx, onnx: {fp16: true, quantize: int8_dynamic}}
          - {name: c, kind: onnx, source: a.onnx, onnx: {parity: {samples: 0}}}
          - {name: d, kind: python, source: a.onnx, onnx: {}}
        """,
    )
    fast = found["models[0].onnx.optimize"]
    assert (fast.line, fast.message) == (2, "'fast' is not one of: none, basic, extended, all")
    both = found["models[1].onnx"]
    assert both.line == 3
    assert "fp16 and quantize cannot be combined" in both.message
    assert found["models[2].onnx.parity.samples"].line == 4
    python = found["models[3].onnx"]
    assert python.message == "onnx options are for onnx models, not python"


def test_factory_and_sklearn_sources_are_accepted(root: Path) -> None:
    project = load_project(
        write(
            root,
            """
            models:
              - {name: a, kind: onnx, source: "pkg.nets:make"}
              - {name: b, kind: onnx, source: "skl:make"}
              - {name: c, kind: onnx, source: clf.joblib}
            """,
        )
    )
    assert [m.source for m in project.models] == ["pkg.nets:make", "skl:make", "clf.joblib"]


def test_malformed_or_missing_sources_are_located(root: Path) -> None:
    found = issues(
        root,
        """
        models:
          - {name: a, kind: onnx, source: "pkg..nets:make"}
          - {name: b, kind: onnx, source: "pkg.gone:make"}
          - {name: c, kind: onnx, source: gone.pkl}
          - {name: d, kind: onnx, source: model.py}
        """,
    )
    bad = found["models[0].source"]
    assert (bad.line, bad.message) == (2, "'pkg..nets:make' is not a valid factory path")
    assert bad.fix == "write it as package.module:function, e.g. models.mlp:make"
    gone = found["models[1].source"]
    assert gone.message.startswith("module 'pkg.gone' of factory 'pkg.gone:make' was not found")
    assert gone.fix.startswith("create pkg/gone.py next to the project file")
    assert "does not exist" in found["models[2].source"].message
    assert found["models[3].source"].message == "'model.py' is not an .onnx file"


# --- parity ---------------------------------------------------------------------------------


def test_compare_passes_identical_outputs_and_fails_perturbed_ones() -> None:
    rng = np.random.default_rng(0)
    want = [rng.standard_normal((32, 5)).astype(np.float32)]
    same = compare(want, [want[0].copy()], Reference(lambda f: []), 32, EXACT, top1=True)
    assert same.ok
    assert same.max_abs_error == 0
    assert same.top1_agreement == 1.0
    off = want[0] + 0.01
    bad = compare(want, [off], Reference(lambda f: []), 32, EXACT, top1=False)
    assert not bad.ok
    assert bad.max_abs_error == pytest.approx(0.01, rel=1e-3)
    assert bad.top1_agreement is None
    assert bad.tolerance == {"atol": 1e-4, "rtol": 1e-3}


def test_labels_count_only_through_top1() -> None:
    labels = np.arange(100) % 3
    flipped = labels.copy()
    flipped[0] = (flipped[0] + 1) % 3  # one row in a hundred disagrees
    proba = np.full((100, 3), 1 / 3)
    ref = Reference(lambda f: [], label_output=0, classifier=True)
    result = compare([labels, proba], [flipped, proba], ref, 100, EXACT, top1=True)
    assert result.max_abs_error == 0
    assert result.top1_agreement == pytest.approx(0.99)
    assert result.ok
    strict = ResolvedTolerance(atol=1e-4, rtol=1e-3, min_top1=1.0)
    assert not compare([labels, proba], [flipped, proba], ref, 100, strict, top1=True).ok


def test_nan_in_both_agrees_and_a_shape_mismatch_fails() -> None:
    want = [np.array([[np.nan, 1.0]])]
    assert compare(want, [want[0].copy()], Reference(lambda f: []), 1, EXACT, top1=False).ok
    wrong = compare(want, [np.zeros((1, 3))], Reference(lambda f: []), 1, EXACT, top1=False)
    assert not wrong.ok
    assert "output 0 has shape (1, 3)" in wrong.detail


Dims = list[int | str | None]


def _graph(
    inputs: list[tuple[str, int, Dims]], outputs: list[tuple[str, int, Dims]]
) -> onnx.ModelProto:
    nodes = [helper.make_node("Identity", [inputs[0][0]], [o[0]]) for o in outputs]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_feeds_are_seeded_and_follow_the_graph() -> None:
    model = _graph(
        [("ids", TensorProto.INT64, ["b", "seq"]), ("x", TensorProto.FLOAT, ["b", 3])],
        [("y", TensorProto.INT64, ["b", "seq"])],
    )
    ref = Reference(lambda f: [], shapes={"ids": (2, 7)}, int_ranges={"ids": (5, 6)})
    first = make_feeds(model, ref, 4, batched=True)
    again = make_feeds(model, ref, 4, batched=True)
    assert first["ids"].shape == (4, 7)
    assert first["ids"].dtype == np.int64
    assert set(np.unique(first["ids"])) <= {5, 6}
    assert first["x"].shape == (4, 3)
    assert first["x"].dtype == np.float32
    assert all(np.array_equal(first[k], again[k]) for k in first)


# --- signature ------------------------------------------------------------------------------


def test_signature_drops_a_dynamic_batch_axis_and_maps_types() -> None:
    model = _graph(
        [("tokens", TensorProto.INT32, ["batch", "seq", 4])],
        [
            ("tokens_out", TensorProto.INT32, ["batch", "seq", 4]),
            ("flag", TensorProto.BOOL, [None]),
        ],
    )
    sig = io_signature(model, "m")
    assert sig.max_batch_size > 0
    assert [(i.name, i.data_type, i.dims) for i in sig.inputs] == [
        ("tokens", DataType.TYPE_INT32, [-1, 4])
    ]
    flag = sig.outputs[1]
    assert (flag.data_type, flag.dims, flag.reshape) == (DataType.TYPE_BOOL, [1], Reshape(shape=[]))


def test_fixed_first_dim_means_no_batching() -> None:
    model = _graph([("x", TensorProto.FLOAT16, [1, "n"])], [("y", TensorProto.FLOAT16, [1, "n"])])
    assert not has_batch_axis(model)
    sig = io_signature(model, "m")
    assert sig.max_batch_size == 0
    assert [(i.data_type, i.dims) for i in sig.inputs] == [(DataType.TYPE_FP16, [1, -1])]


# --- fingerprint and plan -------------------------------------------------------------------


def _ctx(project: Project, index: int = 0) -> BuildContext:
    return BuildContext(project, project.models[index], 1, project.root / "work")


def _fingerprint(root: Path, text: str, index: int = 0) -> dict[str, Any]:
    return OnnxBuilder().fingerprint(_ctx(load_project(write(root, text)), index))


def test_fingerprint_changes_with_source_and_options_only(root: Path) -> None:
    factory = "models:\n  - {name: a, kind: onnx, source: 'pkg.nets:make', instance_group: []}\n"
    base = _fingerprint(root, factory)
    assert base == _fingerprint(root, factory)
    assert set(base["files"]) == {"pkg/__init__.py", "pkg/layers.py", "pkg/nets.py"}
    assert {"onnx", "onnxruntime", "torch"} <= set(base["tools"])
    # settings that do not shape the artifact leave it alone
    unrelated = factory.replace("instance_group: []", "instance_group: [{count: 2}]")
    assert _fingerprint(root, unrelated) == base
    # a module of the package that the factory does not import is not part of the source
    (root / "pkg" / "unused.py").write_text("# edited\n")
    assert _fingerprint(root, factory) == base
    # a helper module the factory imports is
    (root / "pkg" / "layers.py").write_text("WIDTH = 8\n")
    edited = _fingerprint(root, factory)
    assert edited["files"] != base["files"]
    assert _fingerprint(root, factory.replace("}", ", onnx: {optimize: all}}")) != edited
    onnx_file = "models:\n  - {name: a, kind: onnx, source: a.onnx}\n"
    first = _fingerprint(root, onnx_file)
    assert "torch" not in first["tools"]
    (root / "a.onnx").write_bytes(b"onnx2")
    assert _fingerprint(root, onnx_file) != first


def test_fingerprint_does_not_import_torch(root: Path) -> None:
    write(root, "models:\n  - {name: a, kind: onnx, source: 'pkg.nets:make'}\n")
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        from tritonops.builders.base import BuildContext
        from tritonops.builders.onnx import OnnxBuilder
        from tritonops.spec import load_project
        project = load_project(Path(sys.argv[1]))
        ctx = BuildContext(project, project.models[0], 1, project.root / "work")
        OnnxBuilder().fingerprint(ctx)
        OnnxBuilder().plan(ctx)
        print(json.dumps(sorted(m for m in ("torch", "sklearn", "skl2onnx") if m in sys.modules)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(root / "tritonops.yaml")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert json.loads(done.stdout) == []


def test_plan_lists_each_step(root: Path) -> None:
    project = load_project(
        write(
            root,
            """
            models:
              - name: a
                kind: onnx
                source: "pkg.nets:make"
                onnx: {opset: 18, quantize: int8_dynamic, optimize: basic}
              - {name: b, kind: onnx, source: "skl:make"}
              - {name: c, kind: onnx, source: a.onnx}
              - {name: d, kind: onnx, source: a.onnx, onnx: {fp16: true, parity: {enabled: false}}}
            """,
        )
    )
    plans = [OnnxBuilder().plan(_ctx(project, i)) for i in range(4)]
    assert plans[0] == [
        "export torch module pkg.nets:make (opset 18, dynamic batch) -> model.onnx",
        "check: opset within onnxruntime's, onnx.checker, shape inference",
        "quantize int8_dynamic with onnxruntime.quantization",
        "optimize (basic) with onnxruntime, CPU provider",
        "parity on 32 samples against the source model (atol 0.1, rtol 0.1,"
        " top-1 >= 0.95 for classifiers)",
        "write model.onnx; IO signature from the final graph",
    ]
    assert plans[1][0].startswith("convert scikit-learn estimator skl:make with skl2onnx")
    assert plans[2][0] == "copy a.onnx -> model.onnx"
    assert plans[2][-2] == "parity: skipped (the file is copied unchanged)"
    assert plans[3][-2] == "parity: off (onnx.parity.enabled: false)"

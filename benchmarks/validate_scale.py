"""How ``validate_repository`` scales: synthetic repositories of 100, 1,000 and 5,000 models.

Mixed kinds: python models, onnxruntime models with a tiny real model.onnx, and ensembles chaining a
python step into an onnx step. Prints models/s per size and the per-model cost at the largest size
relative to the smallest (1.0 = flat). Run: ``.venv/bin/python benchmarks/validate_scale.py``.

Two repositories per size: configs rendered from one template per kind (they differ only in their
``name`` line, as generated repositories do; the validator parses each template once), and the
same with every config made distinct by a comment line (every config parsed in full).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from onnx import TensorProto, helper

from tritonops.repository.validate import validate_repository

PYTHON_CONFIG = """\
name: "{name}"
backend: "python"
max_batch_size: 8
input [ {{ name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] }} ]
instance_group [ {{ kind: KIND_CPU count: 1 }} ]
dynamic_batching {{ preferred_batch_size: [ 4, 8 ] }}
"""

ONNX_CONFIG = """\
name: "{name}"
backend: "onnxruntime"
max_batch_size: 8
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 4 ] }} ]
"""

ENSEMBLE_CONFIG = """\
name: "{name}"
platform: "ensemble"
max_batch_size: 8
input [ {{ name: "IN" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] }} ]
ensemble_scheduling {{
  step [
    {{
      model_name: "{pre}"
      model_version: -1
      input_map {{ key: "INPUT0" value: "IN" }}
      output_map {{ key: "OUTPUT0" value: "mid" }}
    }},
    {{
      model_name: "{net}"
      model_version: -1
      input_map {{ key: "x" value: "mid" }}
      output_map {{ key: "y" value: "OUT" }}
    }}
  ]
}}
"""

MODEL_PY = """\
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        out = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUTPUT0", x)]))
        return out
"""


def onnx_model() -> bytes:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "identity",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return bytes(model.SerializeToString())


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


def build(root: Path, count: int, onnx_bytes: bytes, *, distinct: bool = False) -> None:
    """``count`` models in groups of five: 2 python, 2 onnx, 1 ensemble over a python+onnx pair.

    ``distinct``: a comment line of its own in every config, so no two share a template.
    """
    for i in range(count):
        group, kind = divmod(i, 5)
        name = f"m{i:05d}"
        note = f"# model {i}\n" if distinct else ""
        if kind in (0, 1):
            _write(root / name / "config.pbtxt", note + PYTHON_CONFIG.format(name=name))
            _write(root / name / "1" / "model.py", MODEL_PY)
        elif kind in (2, 3):
            _write(root / name / "config.pbtxt", note + ONNX_CONFIG.format(name=name))
            _write(root / name / "1" / "model.onnx", onnx_bytes)
        else:
            pre, net = f"m{group * 5:05d}", f"m{group * 5 + 2:05d}"
            text = ENSEMBLE_CONFIG.format(name=name, pre=pre, net=net)
            _write(root / name / "config.pbtxt", note + text)
            (root / name / "1").mkdir()


def measure(root: Path, repeats: int) -> float:
    """Best wall time of ``repeats`` runs (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        report = validate_repository(root)
        best = min(best, time.perf_counter() - start)
        if not report.valid:
            raise SystemExit(f"synthetic repository unexpectedly invalid: {report.errors[:3]}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    payload = onnx_model()
    with tempfile.TemporaryDirectory(prefix="tritonops-bench-") as tmp:
        for distinct in (False, True):
            label = "distinct configs" if distinct else "configs from one template per kind"
            print(f"{label}:")
            print(f"{'models':>8} {'seconds':>9} {'models/s':>10} {'ms/model':>9}")
            per_model: dict[int, float] = {}
            for size in args.sizes:
                root = Path(tmp) / f"repo{size}-{int(distinct)}"
                build(root, size, payload, distinct=distinct)
                seconds = measure(root, args.repeats)
                per_model[size] = seconds / size
                print(
                    f"{size:>8} {seconds:>9.3f} {size / seconds:>10.0f} "
                    f"{1000 * seconds / size:>9.3f}"
                )
            small, large = min(per_model), max(per_model)
            ratio = per_model[large] / per_model[small]
            print(f"per-model cost at {large} vs {small}: {ratio:.2f}x (1.00 = flat)")


if __name__ == "__main__":
    main()

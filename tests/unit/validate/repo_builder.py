"""Small builders for model repositories on disk (tests only)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from tritonops.repository.validate import ValidationReport, validate_repository

MODEL_PY = """\
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            out = pb_utils.Tensor("OUTPUT0", x)
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
        return responses
"""

PY_CONFIG = """\
name: "{name}"
backend: "python"
max_batch_size: 8
input [
  {{
    name: "INPUT0"
    data_type: TYPE_FP32
    dims: [ 4 ]
  }}
]
output [
  {{
    name: "OUTPUT0"
    data_type: TYPE_FP32
    dims: [ 4 ]
  }}
]
"""

ONNX_CONFIG = """\
name: "{name}"
backend: "onnxruntime"
max_batch_size: 8
input [
  {{
    name: "x"
    data_type: TYPE_FP32
    dims: [ 4 ]
  }}
]
output [
  {{
    name: "y"
    data_type: TYPE_FP32
    dims: [ 4 ]
  }}
]
"""

Shape = list[int | str]


# the parameters the tensorrtllm backend cannot load without (gpt_model_type, the engine, and the
# guided-decoding trio it reads with no fallback), every optional one set so none falls back
TRTLLM_PARAMS = "".join(
    f'parameters {{ key: "{k}" value {{ string_value: "{v}" }} }}\n'
    for k, v in (
        ("gpt_model_type", "inflight_fused_batching"),
        ("gpt_model_path", "/models/llm/1"),
        ("tokenizer_dir", ""),
        ("xgrammar_tokenizer_info_path", ""),
        ("guided_decoding_backend", ""),
        ("max_beam_width", "1"),
        ("max_tokens_in_paged_kv_cache", "4096"),
        ("kv_cache_free_gpu_mem_fraction", "0.9"),
        ("enable_kv_cache_reuse", "true"),
        ("enable_chunked_context", "false"),
        ("normalize_log_probs", "true"),
        ("batch_scheduler_policy", "guaranteed_no_evict"),
        ("decoding_mode", "top_k_top_p"),
        ("gpu_device_ids", "0"),
        ("exclude_input_in_output", "true"),
        ("cancellation_check_period_ms", "100"),
    )
)


def onnx_bytes(
    inputs: list[tuple[str, int, Shape]] | None = None,
    outputs: list[tuple[str, int, Shape]] | None = None,
) -> bytes:
    """A tiny real ONNX model: Identity nodes from input i to output i."""
    inputs = inputs if inputs is not None else [("x", TensorProto.FLOAT, ["batch", 4])]
    outputs = outputs if outputs is not None else [("y", TensorProto.FLOAT, ["batch", 4])]
    nodes = [
        helper.make_node("Identity", [inputs[min(i, len(inputs) - 1)][0]], [name])
        for i, (name, _, _) in enumerate(outputs)
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())


def zipmap_bytes() -> bytes:
    """A scikit-learn classifier's tail as skl2onnx exports it by default: a label tensor and a
    ZipMap output, a sequence of maps from class to probability."""
    graph = helper.make_graph(
        [
            helper.make_node("ArgMax", ["x"], ["output_label"], axis=1, keepdims=0),
            helper.make_node(
                "ZipMap",
                ["x"],
                ["output_probability"],
                domain="ai.onnx.ml",
                classlabels_int64s=[0, 1, 2],
            ),
        ],
        "classifier",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [
            helper.make_tensor_value_info("output_label", TensorProto.INT64, ["N"]),
            helper.make_value_info(
                "output_probability",
                helper.make_sequence_type_proto(
                    helper.make_map_type_proto(
                        TensorProto.INT64, helper.make_tensor_type_proto(TensorProto.FLOAT, [])
                    )
                ),
            ),
        ],
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return bytes(model.SerializeToString())


class Repo:
    """A repository under construction in a temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def write(self, rel: str, content: str | bytes = "") -> Path:
        path = self.root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))
        return path

    def files(self, files: dict[str, str | bytes]) -> Repo:
        for rel, content in files.items():
            self.write(rel, content)
        return self

    def python(self, name: str, config: str | None = None, model_py: str = MODEL_PY) -> Repo:
        self.write(
            f"{name}/config.pbtxt", config if config is not None else PY_CONFIG.format(name=name)
        )
        self.write(f"{name}/1/model.py", model_py)
        return self

    def onnx(self, name: str, config: str | None = None, model: bytes | None = None) -> Repo:
        self.write(
            f"{name}/config.pbtxt", config if config is not None else ONNX_CONFIG.format(name=name)
        )
        self.write(f"{name}/1/model.onnx", model if model is not None else onnx_bytes())
        return self

    def validate(self) -> ValidationReport:
        return validate_repository(self.root)


def found(report: ValidationReport) -> list[tuple[str, str, int | None]]:
    """(code, file, line) of every diagnostic, for compact assertions."""
    return [(d.code, d.file, d.line) for d in report.diagnostics]


def errors(report: ValidationReport) -> list[tuple[str, str, int | None]]:
    return [(d.code, d.file, d.line) for d in report.diagnostics if d.severity == "error"]


def check_onnx_model(data: bytes) -> None:
    onnx.checker.check_model(onnx.load_from_string(data))

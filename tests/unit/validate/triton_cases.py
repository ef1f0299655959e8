"""Repositories checked against a real tritonserver: valid ones, and ones with one defect each.

Shared by ``test_triton_cases.py`` (the validator's verdict on each), the integration test that
serves a few of them, and ``benchmarks/validator_vs_triton.py`` (validator vs the real server on
all of them). ``expected`` is what Triton 2.51 does with the repository: ``valid`` (every model
loads and answers a smoke inference), ``defect`` (a model fails to load, or loads and answers
wrongly), or ``gpu`` (valid on a GPU host; a CPU-only server cannot load it, which is no defect).
"""

# Rows hold whole config.pbtxt snippets on one line each, so a row reads as one case.
# ruff: noqa: E501

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from onnx import TensorProto
from repo_builder import MODEL_PY, onnx_bytes, zipmap_bytes
from test_corpus import CASES, ENSEMBLE_FILES, GOOD_STEPS, POST, PRE, ensemble, onnx_model, py_model

Expected = Literal["valid", "defect", "gpu"]
Files = dict[str, str | bytes]


@dataclass(frozen=True)
class TritonCase:
    """One repository: its files, what Triton does with it, and the code the validator must give."""

    name: str
    files: Files
    expected: Expected
    code: str | None = None  # for a defect: the error code that flags it
    # why the embedded server here cannot judge it like a production Triton; left out of the score
    harness: str = ""


def _m(config: str) -> str:
    """PRE (a batching identity python model, INPUT0 -> OUTPUT0, FP32 [4]) renamed to ``m``."""
    return config.replace('"pre"', '"m"')


M = _m(PRE)
ONNX_M = 'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 8\ninput [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]\n'

TWO_INPUTS_PY = """\
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            a = pb_utils.get_input_tensor_by_name(request, "A").as_numpy()
            b = pb_utils.get_input_tensor_by_name(request, "B").as_numpy()
            out = pb_utils.Tensor("SUM", a + b)
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
        return responses
"""

TWO_INPUTS = 'name: "m"\nbackend: "python"\nmax_batch_size: 8\ninput [\n  { name: "A" data_type: TYPE_FP32 dims: [ 4 ] },\n  { name: "B" data_type: TYPE_FP32 dims: [ 4 ] }\n]\noutput [ { name: "SUM" data_type: TYPE_FP32 dims: [ 4 ] } ]\n'

AUTO_COMPLETE_PY = (
    MODEL_PY
    + """
    @staticmethod
    def auto_complete_config(config):
        config.set_max_batch_size(8)
        config.add_input({"name": "INPUT0", "data_type": "TYPE_FP32", "dims": [4]})
        config.add_output({"name": "OUTPUT0", "data_type": "TYPE_FP32", "dims": [4]})
        return config
"""
)

WARMUP = 'model_warmup [\n  {{\n    name: "w"\n    batch_size: {batch}\n    inputs {{\n      key: "{key}"\n      value {{ data_type: {dtype} dims: [ {dims} ] {data} }}\n    }}\n  }}\n]\n'


def warmup(
    key: str = "INPUT0",
    dtype: str = "TYPE_FP32",
    dims: str = "4",
    data: str = "zero_data: true",
    batch: int = 1,
) -> str:
    return WARMUP.format(key=key, dtype=dtype, dims=dims, data=data, batch=batch)


def control(body: str) -> str:
    return "sequence_batching {\n  control_input [\n" + body + "\n  ]\n}\n"


# Triton 2.51 reads an omitted step model_version as 0 ("depends on 'post' whose required version
# 0 is not loaded"), so working ensembles name -1 (latest).
LATEST_STEPS = GOOD_STEPS.replace(
    'model_name: "pre"', 'model_name: "pre"\n      model_version: -1'
).replace('model_name: "post"', 'model_name: "post"\n      model_version: -1')

EMULATED_ORT = (
    "the embedded server's python-based onnxruntime backend has no auto_complete_config; "
    "the C++ backend fills the inputs and outputs from model.onnx"
)
EMULATED_ORT_BATCH = (
    "the embedded server's python-based onnxruntime backend does not compare the model's batch "
    "dim at load; the C++ backend rejects a fixed first dim when max_batch_size > 0"
)
NO_CORRID = "the smoke request carries no correlation ID, which sequence batching requires"


def pipeline(ens: str, pre: str = PRE, post: str = POST, extra: Files | None = None) -> Files:
    return {
        **ENSEMBLE_FILES,
        "pre/config.pbtxt": pre,
        "post/config.pbtxt": post,
        "ens/config.pbtxt": ens,
        **(extra or {}),
    }


ONNX_STEP = 'name: "net"\nbackend: "onnxruntime"\nmax_batch_size: 8\ninput [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]\n'

VALID: list[TritonCase] = [
    TritonCase("python-identity", py_model("m", M), "valid"),
    TritonCase("onnx-identity", onnx_model("m", ONNX_M), "valid"),
    TritonCase(
        "onnx-platform-only",
        onnx_model("m", ONNX_M.replace('backend: "onnxruntime"', 'platform: "onnxruntime_onnx"')),
        "valid",
    ),
    TritonCase(
        "onnx-io-left-to-auto-complete",
        onnx_model("m", 'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 8\n'),
        "valid",
        harness=EMULATED_ORT,
    ),
    TritonCase(
        "onnx-without-config", {"m/1/model.onnx": onnx_bytes()}, "valid", harness=EMULATED_ORT
    ),
    TritonCase(
        "onnx-symbolic-dims",
        onnx_model(
            "m",
            'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 4\ninput [ { name: "ids" data_type: TYPE_INT64 dims: [ -1 ] } ]\noutput [ { name: "out" data_type: TYPE_INT64 dims: [ -1 ] } ]\n',
            onnx_bytes(
                [("ids", TensorProto.INT64, ["batch", "seq"])],
                [("out", TensorProto.INT64, ["batch", "seq"])],
            ),
        ),
        "valid",
    ),
    TritonCase(
        "onnx-non-batching",
        onnx_model(
            "m",
            ONNX_M.replace("max_batch_size: 8", "max_batch_size: 0").replace("[ 4 ]", "[ 2, 4 ]"),
            onnx_bytes([("x", TensorProto.FLOAT, [2, 4])], [("y", TensorProto.FLOAT, [2, 4])]),
        ),
        "valid",
    ),
    TritonCase("python-without-config-auto-complete", {"m/1/model.py": AUTO_COMPLETE_PY}, "valid"),
    TritonCase(
        "python-two-inputs", py_model("m", TWO_INPUTS) | {"m/1/model.py": TWO_INPUTS_PY}, "valid"
    ),
    TritonCase(
        "python-non-batching",
        py_model(
            "m", M.replace("max_batch_size: 8", "max_batch_size: 0").replace("[ 4 ]", "[ -1, 4 ]")
        ),
        "valid",
    ),
    TritonCase(
        "python-strings",
        py_model("m", M.replace("TYPE_FP32", "TYPE_STRING").replace("[ 4 ]", "[ -1 ]")),
        "valid",
    ),
    TritonCase(
        "python-reshape",
        py_model(
            "m",
            M.replace(
                "dims: [ 4 ] } ]\noutput",
                "dims: [ 4 ] reshape { shape: [ 2, 2 ] } } ]\noutput",
            ).replace(
                '"OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ]',
                '"OUTPUT0" data_type: TYPE_FP32 dims: [ 2, 2 ]',
            ),
        ),
        "valid",
    ),
    TritonCase(
        "python-optional-input",
        py_model(
            "m",
            M.replace(
                "dims: [ 4 ] } ]\noutput",
                'dims: [ 4 ] },\n  { name: "FLAG" data_type: TYPE_BOOL dims: [ 1 ] optional: true } ]\noutput',
            ),
        ),
        "valid",
    ),
    TritonCase(
        "python-labels",
        py_model(
            "m",
            M.replace(
                "dims: [ 4 ] } ]\n", 'dims: [ 4 ] label_filename: "labels.txt" } ]\n'
            ).replace(
                'INPUT0" data_type: TYPE_FP32 dims: [ 4 ] label_filename: "labels.txt"',
                'INPUT0" data_type: TYPE_FP32 dims: [ 4 ]',
            ),
        )
        | {"m/labels.txt": "a\nb\nc\nd\n"},
        "valid",
    ),
    TritonCase(
        "dynamic-batching-priorities",
        py_model(
            "m",
            M
            + "dynamic_batching {\n  preferred_batch_size: [ 2, 8 ]\n  max_queue_delay_microseconds: 100\n  priority_levels: 2\n  default_priority_level: 2\n  priority_queue_policy { key: 1 value { timeout_action: REJECT default_timeout_microseconds: 1000 } }\n}\n",
        ),
        "valid",
    ),
    TritonCase(
        "dynamic-batching-unbatched-model",
        py_model(
            "m",
            M.replace("max_batch_size: 8", "max_batch_size: 0") + "dynamic_batching { }\n",
        ),
        "valid",
    ),
    TritonCase(
        "instance-groups-cpu",
        py_model("m", M + "instance_group [ { kind: KIND_CPU count: 2 }, { kind: KIND_AUTO } ]\n"),
        "valid",
    ),
    TritonCase(
        "instance-group-gpu",
        py_model("m", M + "instance_group [ { kind: KIND_GPU count: 1 } ]\n"),
        "gpu",
    ),
    TritonCase("response-cache", py_model("m", M + "response_cache { enable: true }\n"), "valid"),
    TritonCase(
        "version-policy-all",
        py_model("m", M + "version_policy: { all: { } }\n") | {"m/2/model.py": MODEL_PY},
        "valid",
    ),
    TritonCase(
        "version-policy-specific",
        py_model("m", M + "version_policy: { specific: { versions: [ 1 ] } }\n")
        | {"m/3/model.py": MODEL_PY},
        "valid",
    ),
    TritonCase(
        "version-policy-latest-2-with-stray-folders",
        py_model("m", M + "version_policy: { latest: { num_versions: 2 } }\n")
        | {"m/2/model.py": MODEL_PY, "m/old/": "", "m/007/": ""},
        "valid",
    ),
    TritonCase(
        "warmup-zero-random-file",
        py_model(
            "m",
            M
            + warmup()
            + warmup(data="random_data: true", batch=8)
            + warmup(data='input_data_file: "in0"'),
        )
        | {"m/warmup/in0": b"\0" * 16},
        "valid",
    ),
    TritonCase(
        "sequence-batching-controls",
        py_model(
            "m",
            M
            + 'input [ { name: "START" data_type: TYPE_INT32 dims: [ 1 ] optional: true } ]\n'
            + control(
                '    { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },\n'
                '    { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] }'
            ),
        ),
        "valid",
        harness=NO_CORRID,
    ),
    TritonCase(
        "sequence-oldest",
        py_model(
            "m",
            M
            + "sequence_batching {\n  oldest { max_candidate_sequences: 4 preferred_batch_size: [ 2, 4 ] }\n}\n",
        ),
        "valid",
        harness=NO_CORRID,
    ),
    TritonCase(
        "decoupled-python",
        py_model("m", M + "model_transaction_policy { decoupled: true }\n"),
        "valid",
    ),
    TritonCase("ensemble-python", pipeline(ensemble(LATEST_STEPS)), "valid"),
    TritonCase(
        "ensemble-pinned-version",
        pipeline(ensemble(LATEST_STEPS.replace("model_version: -1", "model_version: 1"))),
        "valid",
    ),
    TritonCase(
        "python-batch-dim-repeated",  # §4: fails only for a client that sends [1, 4]
        py_model("m", M.replace("[ 4 ]", "[ -1, 4 ]")),
        "valid",
    ),
    TritonCase("python-bool", py_model("m", M.replace("TYPE_FP32", "TYPE_BOOL")), "valid"),
    TritonCase(
        "python-parameters-optimization",
        py_model(
            "m",
            M
            + 'parameters { key: "mode" value { string_value: "fast" } }\noptimization { input_pinned_memory { enable: true } }\n',
        ),
        "valid",
    ),
    TritonCase(
        "python-guarded-optional-read",
        py_model("m", M)
        | {
            "m/1/model.py": MODEL_PY.replace(
                "            out = ",
                '            mask = pb_utils.get_input_tensor_by_name(request, "MASK")\n'
                "            if mask is not None:\n"
                "                x = x * mask.as_numpy()\n"
                "            out = ",
            )
        },
        "valid",
    ),
    TritonCase(
        "python-custom-backend-name",
        py_model("m", M.replace('backend: "python"', 'backend: "python"\nplatform: "my_platform"')),
        "valid",
    ),
    TritonCase(
        "onnx-dynamic-batching",
        onnx_model("m", ONNX_M + "dynamic_batching { max_queue_delay_microseconds: 100 }\n"),
        "valid",
    ),
    TritonCase(
        "ensemble-python-onnx",
        pipeline(
            ensemble(
                LATEST_STEPS.replace('"post"', '"net"')
                .replace('key: "INPUT0" value: "mid"', 'key: "x" value: "mid"')
                .replace('key: "OUTPUT0" value: "OUT"', 'key: "y" value: "OUT"')
            )
        )
        | {"net/config.pbtxt": ONNX_STEP, "net/1/model.onnx": onnx_bytes()},
        "valid",
    ),
    TritonCase(
        "ensemble-non-batching-step",
        pipeline(
            ensemble(LATEST_STEPS),
            post=POST.replace("max_batch_size: 8", "max_batch_size: 0").replace(
                "[ 4 ]", "[ -1, 4 ]"
            ),
        ),
        "valid",
    ),
    TritonCase(
        "ensemble-unbatched-over-batching-steps",  # Triton serves it
        pipeline(ensemble(LATEST_STEPS).replace("max_batch_size: 8", "max_batch_size: 0")),
        "valid",
    ),
    TritonCase(
        "ensemble-fan-out",
        pipeline(
            ensemble(
                LATEST_STEPS,
                'input [ { name: "IN" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput [ { name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "MID" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
            ).replace('value: "mid"', 'value: "MID"')
        ),
        "valid",
    ),
]

DEFECTS: list[TritonCase] = [
    TritonCase(
        "preferred-batch-zero",
        py_model("m", M + "dynamic_batching { preferred_batch_size: [ 0 ] }\n"),
        "defect",
        "TRITON-B002",
    ),
    TritonCase(
        "queue-policy-key-out-of-range",
        py_model(
            "m",
            M
            + "dynamic_batching {\n  priority_levels: 2\n  default_priority_level: 1\n  priority_queue_policy { key: 5 value { max_queue_size: 4 } }\n}\n",
        ),
        "defect",
        "TRITON-B005",
    ),
    TritonCase(
        "preserve-ordering-with-priorities",
        py_model(
            "m",
            M
            + "dynamic_batching {\n  preserve_ordering: true\n  priority_levels: 2\n  default_priority_level: 1\n}\n",
        ),
        "defect",
        "TRITON-B006",
    ),
    TritonCase(
        "model-group-with-gpus",
        py_model("m", M + "instance_group [ { kind: KIND_MODEL gpus: [ 0 ] } ]\n"),
        "defect",
        "TRITON-I001",
    ),
    TritonCase(
        "profile-outside-tensorrt",
        py_model("m", M + 'instance_group [ { kind: KIND_CPU profile: [ "0" ] } ]\n'),
        "defect",
        "TRITON-I002",
    ),
    TritonCase(
        "nhwc-with-two-dims",
        py_model(
            "m", M.replace("dims: [ 4 ] } ]\noutput", "dims: [ 4 ] format: FORMAT_NHWC } ]\noutput")
        ),
        "defect",
        "TRITON-T006",
    ),
    TritonCase(
        "shape-tensor-outside-tensorrt",
        py_model(
            "m",
            M.replace("dims: [ 4 ] } ]\noutput", "dims: [ 4 ] is_shape_tensor: true } ]\noutput"),
        ),
        "defect",
        "TRITON-T007",
    ),
    TritonCase(
        "empty-reshape-non-batching",
        py_model(
            "m",
            M.replace("max_batch_size: 8", "max_batch_size: 0").replace(
                "dims: [ 4 ] } ]\noutput", "dims: [ 4 ] reshape { shape: [ ] } } ]\noutput"
            ),
        ),
        "defect",
        "TRITON-T005",
    ),
    TritonCase(
        "output-without-dims",
        py_model(
            "m",
            M.replace(
                '"OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ]', '"OUTPUT0" data_type: TYPE_FP32'
            ),
        ),
        "defect",
        "TRITON-T003",
    ),
    TritonCase(
        "warmup-unknown-input",
        py_model("m", M + warmup(key="INPUT_0")),
        "defect",
        "TRITON-W001",
    ),
    TritonCase(
        "warmup-wrong-dtype",
        py_model("m", M + warmup(dtype="TYPE_INT32")),
        "defect",
        "TRITON-W002",
    ),
    TritonCase(
        "warmup-batch-above-max",
        py_model("m", M + warmup(batch=16)),
        "defect",
        "TRITON-W006",
    ),
    TritonCase(
        "warmup-misses-an-input",
        py_model("m", TWO_INPUTS + warmup(key="A")) | {"m/1/model.py": TWO_INPUTS_PY},
        "defect",
        "TRITON-W007",
    ),
    TritonCase(
        "warmup-data-file-short",
        py_model("m", M + warmup(data='input_data_file: "in0"')) | {"m/warmup/in0": b"\0" * 8},
        "defect",
        "TRITON-W005",
    ),
    TritonCase(
        "sequence-control-twice",
        py_model(
            "m",
            M
            + control(
                '    { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },\n'
                '    { name: "BEGIN" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] }'
            ),
        ),
        "defect",
        "TRITON-Q004",
    ),
    TritonCase(
        "sequence-oldest-batch-above-max",
        py_model(
            "m",
            M
            + "sequence_batching {\n  oldest { max_candidate_sequences: 4 preferred_batch_size: [ 16 ] }\n}\n",
        ),
        "defect",
        "TRITON-Q005",
    ),
    TritonCase(
        "sequence-slot-utilization",
        py_model("m", M + "sequence_batching {\n  direct { minimum_slot_utilization: 2.0 }\n}\n"),
        "defect",
        "TRITON-Q006",
    ),
    TritonCase(
        "python-syntax-error",
        py_model("m", M)
        | {
            "m/1/model.py": MODEL_PY.replace(
                "def execute(self, requests):", "def execute(self, requests)"
            )
        },
        "defect",
        "TRITON-P003",
    ),
    TritonCase(
        "python-reads-undeclared-input",
        py_model("m", M) | {"m/1/model.py": MODEL_PY.replace('"INPUT0"', '"INPUT_0"')},
        "defect",
        "TRITON-P004",
    ),
    TritonCase(
        "python-without-config",
        {"m/1/model.py": MODEL_PY},
        "defect",
        "TRITON-L014",
    ),
    TritonCase(
        "python-reads-undeclared-input-assigned",
        py_model("m", M)
        | {
            "m/1/model.py": MODEL_PY.replace(
                'x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()',
                'in0 = pb_utils.get_input_tensor_by_name(request, "IN0")\n            x = in0.as_numpy()',
            )
        },
        "defect",
        "TRITON-P004",
    ),
    TritonCase(
        "python-config-without-io",
        py_model("m", 'name: "m"\nbackend: "python"\nmax_batch_size: 8\n'),
        "defect",
        "TRITON-P004",
    ),
    TritonCase(
        "backend-misspelled",
        onnx_model("m", ONNX_M.replace('"onnxruntime"', '"onnxrutime"')),
        "defect",
        "TRITON-S008",
    ),
    TritonCase(
        "version-policy-latest-zero",
        py_model("m", M + "version_policy: { latest: { num_versions: 0 } }\n"),
        "defect",
        "TRITON-V002",
    ),
    TritonCase(
        "backend-is-a-platform-name",
        py_model("m", M.replace('backend: "python"', 'backend: "pytorch_libtorch"')),
        "defect",
        "TRITON-S008",
    ),
    TritonCase(
        "onnx-input-count",
        onnx_model(
            "m",
            ONNX_M.replace(
                "dims: [ 4 ] } ]\noutput",
                'dims: [ 4 ] },\n  { name: "z" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput',
            ),
        ),
        "defect",
        "TRITON-O002",
    ),
    TritonCase(
        "onnx-fixed-dims-differ",
        onnx_model("m", ONNX_M.replace("[ 4 ]", "[ 8 ]")),
        "defect",
        "TRITON-O007",
    ),
    TritonCase(
        "onnx-output-name",
        onnx_model("m", ONNX_M.replace('"y"', '"output"')),
        "defect",
        "TRITON-O003",
    ),
    TritonCase(
        "onnx-model-file-missing",
        {"m/config.pbtxt": ONNX_M, "m/1/model.onnxx": onnx_bytes()},
        "defect",
        "TRITON-L005",
    ),
    TritonCase(
        "onnx-default-filename-missing",
        onnx_model("m", ONNX_M + 'default_model_filename: "net.onnx"\n'),
        "defect",
        "TRITON-L005",
    ),
    TritonCase(
        "ensemble-unused-input",
        pipeline(
            ensemble(
                LATEST_STEPS,
                'input [ { name: "IN" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "EXTRA" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput [ { name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
            )
        ),
        "defect",
        "TRITON-E009",
    ),
    TritonCase(
        "ensemble-output-not-written",
        pipeline(
            ensemble(
                LATEST_STEPS,
                'input [ { name: "IN" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput [ { name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "SCORE" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
            )
        ),
        "defect",
        "TRITON-E012",
    ),
    TritonCase(
        "ensemble-output-written-twice",
        pipeline(
            ensemble(
                LATEST_STEPS.replace('value: "mid" }\n    },', 'value: "OUT" }\n    },').replace(
                    'key: "INPUT0" value: "mid"', 'key: "INPUT0" value: "IN"'
                )
            )
        ),
        "defect",
        "TRITON-E008",
    ),
    TritonCase(
        "ensemble-wrong-input-key",
        pipeline(
            ensemble(
                LATEST_STEPS.replace('key: "INPUT0" value: "mid"', 'key: "INPUT" value: "mid"')
            )
        ),
        "defect",
        "TRITON-E006",
    ),
    TritonCase(
        "ensemble-without-scheduling",
        pipeline(ensemble("")),
        "defect",
        "TRITON-S002",
    ),
    TritonCase(
        "ensemble-pinned-missing-version",
        pipeline(
            ensemble(
                LATEST_STEPS.replace(
                    'model_version: -1\n      input_map { key: "INPUT0" value: "mid" }',
                    'model_version: 2\n      input_map { key: "INPUT0" value: "mid" }',
                )
            )
        ),
        "defect",
        "TRITON-E019",
    ),
    TritonCase(
        "ensemble-output-dtype",
        pipeline(
            ensemble(
                LATEST_STEPS,
                'input [ { name: "IN" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput [ { name: "OUT" data_type: TYPE_FP16 dims: [ 4 ] } ]\n',
            )
        ),
        "defect",
        "TRITON-E015",
    ),
]


def _vllm(config_tail: str, engine: str) -> Files:
    config = f'name: "m"\nbackend: "vllm"\n{config_tail}'
    return {"m/config.pbtxt": config, "m/1/model.json": engine}


_DECOUPLED = "model_transaction_policy { decoupled: true }\n"
_ENGINE = '{"model": "facebook/opt-125m", "max_model_len": 256}'
_ZIPMAP = 'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 0\ninput [ { name: "x" data_type: TYPE_FP32 dims: [ -1, 3 ] } ]\noutput [ { name: "output_label" data_type: TYPE_INT64 dims: [ -1 ] } ]\n'


def _ort_param(key: str, value: str) -> str:
    return ONNX_M + f'parameters {{ key: "{key}" value {{ string_value: "{value}" }} }}\n'


# Rules the stand-in backends apply with the real backend's words (vllm_contract, ort_contract):
# here the embedded server's verdict is the stand-in's, as validate --load gives it.
STANDIN_CASES: list[TritonCase] = [
    TritonCase("vllm-engine", _vllm(_DECOUPLED, _ENGINE), "valid"),
    TritonCase(
        "vllm-unknown-engine-key",
        _vllm(_DECOUPLED, '{"model": "facebook/opt-125m", "max_seq_len": 256}'),
        "defect",
        "TRITON-G003",
    ),
    TritonCase(
        "vllm-not-decoupled",
        _vllm("model_transaction_policy { decoupled: false }\n", _ENGINE),
        "defect",
        "TRITON-G005",
    ),
    TritonCase(
        "onnx-zipmap-output", onnx_model("m", _ZIPMAP, zipmap_bytes()), "defect", "TRITON-O013"
    ),
    TritonCase(
        "onnx-thread-count-word",
        onnx_model("m", _ort_param("intra_op_thread_count", "two")),
        "defect",
        "TRITON-O014",
    ),
    TritonCase(
        "onnx-thread-count-stoi",
        onnx_model("m", _ort_param("inter_op_thread_count", "2x")),
        "valid",
    ),
]


_CORPUS_HARNESS = {"onnx-fixed-batch-dim": EMULATED_ORT_BATCH}


def corpus_cases() -> list[TritonCase]:
    """The unit corpus of broken repositories (``test_corpus.CASES``) as defects."""
    return [
        TritonCase(name, files, "defect", code, _CORPUS_HARNESS.get(name, ""))
        for name, files, code, _, _ in CASES
    ]


def all_cases() -> list[TritonCase]:
    return [*VALID, *corpus_cases(), *DEFECTS, *STANDIN_CASES]

"""A corpus of realistic broken repositories: each has one defect, found with its exact code and line.

Every case also holds a valid python model, so a defect never hides (or is hidden by) the others.
"""

# Fixture rows hold whole config.pbtxt snippets on one line each, so a row reads as one case.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest
from onnx import TensorProto
from repo_builder import MODEL_PY, Repo, errors, onnx_bytes

PRE = """\
name: "pre"
backend: "python"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
"""

POST = """\
name: "post"
backend: "python"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
"""


def ensemble(body: str, io: str = "") -> str:
    """An ensemble config over pre -> post; ``body`` replaces the steps (line 6 onwards)."""
    head = io or (
        'input [ { name: "IN" data_type: TYPE_FP32 dims: [ 4 ] } ]\n'
        'output [ { name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] } ]\n'
    )
    return f'name: "ens"\nplatform: "ensemble"\nmax_batch_size: 8\n{head}{body}'


GOOD_STEPS = """\
ensemble_scheduling {
  step [
    {
      model_name: "pre"
      input_map { key: "INPUT0" value: "IN" }
      output_map { key: "OUTPUT0" value: "mid" }
    },
    {
      model_name: "post"
      input_map { key: "INPUT0" value: "mid" }
      output_map { key: "OUTPUT0" value: "OUT" }
    }
  ]
}
"""

ENSEMBLE_FILES = {
    "pre/config.pbtxt": PRE,
    "pre/1/model.py": MODEL_PY,
    "post/config.pbtxt": POST,
    "post/1/model.py": MODEL_PY,
    "ens/1/": "",
}


def py_model(name: str, config: str) -> dict[str, str | bytes]:
    return {f"{name}/config.pbtxt": config, f"{name}/1/model.py": MODEL_PY}


def onnx_model(name: str, config: str, model: bytes | None = None) -> dict[str, str | bytes]:
    return {
        f"{name}/config.pbtxt": config,
        f"{name}/1/model.onnx": model if model is not None else onnx_bytes(),
    }


CASES: list[tuple[str, dict[str, str | bytes], str, str, int | None]] = [
    (
        "misspelled-field",
        py_model("m", 'name: "m"\nbackend: "python"\nmax_batch_sze: 8\n'),
        "TRITON-S001",
        "m/config.pbtxt",
        3,
    ),
    (
        "name-differs-from-folder",
        py_model("resnet", PRE.replace('"pre"', '"resnet50"')),
        "TRITON-L006",
        "resnet/config.pbtxt",
        1,
    ),
    (
        "config-saved-as-txt",
        {"m/config.pbtxt.txt": PRE.replace('"pre"', '"m"'), "m/1/model.py": MODEL_PY},
        "TRITON-L010",
        "m/config.pbtxt.txt",
        None,
    ),
    (
        "python-model-file-missing",
        {"m/config.pbtxt": PRE.replace('"pre"', '"m"'), "m/1/": ""},
        "TRITON-L005",
        "m/1/model.py",
        None,
    ),
    (
        "version-folder-1.0",
        {"m/config.pbtxt": PRE.replace('"pre"', '"m"'), "m/1.0/model.py": MODEL_PY},
        "TRITON-L004",
        "m/1.0",
        None,
    ),
    (
        "no-version-folder",
        {"m/config.pbtxt": PRE.replace('"pre"', '"m"'), "m/model.py": MODEL_PY},
        "TRITON-L001",
        "m",
        None,
    ),
    (
        "preferred-batch-above-max",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"')
            + "dynamic_batching {\n  preferred_batch_size: [ 4, 16 ]\n}\n",
        ),
        "TRITON-B002",
        "m/config.pbtxt",
        7,
    ),
    (
        "zero-dim",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"').replace(
                '"INPUT0" data_type: TYPE_FP32 dims: [ 4 ]',
                '"INPUT0" data_type: TYPE_FP32 dims: [ 0 ]',
            ),
        ),
        "TRITON-T004",
        "m/config.pbtxt",
        4,
    ),
    (
        "missing-data-type",
        py_model(
            "m",
            'name: "m"\nbackend: "python"\ninput [\n  {\n    name: "INPUT0"\n    dims: [ 4 ]\n  }\n]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
        ),
        "TRITON-T002",
        "m/config.pbtxt",
        4,
    ),
    (
        "reshape-element-count",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"').replace(
                "dims: [ 4 ] } ]\noutput",
                "dims: [ 4 ]\n  reshape { shape: [ 2, 3 ] } } ]\noutput",
                1,
            ),
        ),
        "TRITON-T005",
        "m/config.pbtxt",
        5,
    ),
    (
        "cpu-group-with-gpus",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"')
            + "instance_group [\n  {\n    kind: KIND_CPU\n    gpus: [ 0 ]\n  }\n]\n",
        ),
        "TRITON-I001",
        "m/config.pbtxt",
        9,
    ),
    (
        "misspelled-platform",
        onnx_model("m", 'name: "m"\nplatform: "onnx"\nmax_batch_size: 8\n'),
        "TRITON-S005",
        "m/config.pbtxt",
        2,
    ),
    (
        "ensemble-with-backend",
        {
            **ENSEMBLE_FILES,
            "ens/config.pbtxt": ensemble(GOOD_STEPS).replace(
                'platform: "ensemble"\n', 'platform: "ensemble"\nbackend: "python"\n'
            ),
        },
        "TRITON-S003",
        "ens/config.pbtxt",
        3,
    ),
    (
        "platform-backend-pair",
        onnx_model("m", 'name: "m"\nbackend: "onnxruntime"\nplatform: "tensorrt_plan"\n'),
        "TRITON-S004",
        "m/config.pbtxt",
        3,
    ),
    (
        "ensemble-unknown-step-model",
        {
            **ENSEMBLE_FILES,
            "ens/config.pbtxt": ensemble(GOOD_STEPS.replace('"post"', '"postprocess"')),
        },
        "TRITON-E004",
        "ens/config.pbtxt",
        14,
    ),
    (
        "ensemble-misspelled-intermediate",
        {
            **ENSEMBLE_FILES,
            "ens/config.pbtxt": ensemble(
                GOOD_STEPS.replace('key: "INPUT0" value: "mid"', 'key: "INPUT0" value: "mdi"')
            ),
        },
        "TRITON-E011",
        "ens/config.pbtxt",
        15,
    ),
    (
        "ensemble-dtype-mismatch",
        {
            **ENSEMBLE_FILES,
            "post/config.pbtxt": POST.replace(
                '"INPUT0" data_type: TYPE_FP32', '"INPUT0" data_type: TYPE_INT64'
            ),
            "ens/config.pbtxt": ensemble(GOOD_STEPS),
        },
        "TRITON-E015",
        "ens/config.pbtxt",
        15,
    ),
    (
        "ensemble-shape-mismatch",
        {
            **ENSEMBLE_FILES,
            "post/config.pbtxt": POST.replace(
                '"INPUT0" data_type: TYPE_FP32 dims: [ 4 ]',
                '"INPUT0" data_type: TYPE_FP32 dims: [ 8 ]',
            ),
            "ens/config.pbtxt": ensemble(GOOD_STEPS),
        },
        "TRITON-E016",
        "ens/config.pbtxt",
        15,
    ),
    (
        "ensemble-input-looser-than-step",
        {
            **ENSEMBLE_FILES,
            "ens/config.pbtxt": ensemble(
                GOOD_STEPS,
                'input [ { name: "IN" data_type: TYPE_FP32 dims: [ -1 ] } ]\noutput [ { name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
            ),
        },
        "TRITON-E017",
        "ens/config.pbtxt",
        4,
    ),
    (
        "ensemble-batch-above-step",
        {
            **ENSEMBLE_FILES,
            "ens/config.pbtxt": ensemble(GOOD_STEPS).replace(
                "max_batch_size: 8", "max_batch_size: 16"
            ),
        },
        "TRITON-E018",
        "ens/config.pbtxt",
        3,
    ),
    (
        "ensemble-unmapped-step-input",
        {
            **ENSEMBLE_FILES,
            "post/config.pbtxt": POST.replace(
                "dims: [ 4 ] } ]\noutput",
                'dims: [ 4 ] },\n  { name: "SCALE" data_type: TYPE_FP32 dims: [ 1 ] } ]\noutput',
            ),
            "ens/config.pbtxt": ensemble(GOOD_STEPS),
        },
        "TRITON-E005",
        "ens/config.pbtxt",
        15,
    ),
    (
        "ensemble-wrong-output-key",
        {
            **ENSEMBLE_FILES,
            "ens/config.pbtxt": ensemble(
                GOOD_STEPS.replace('key: "OUTPUT0" value: "OUT"', 'key: "OUTPUT_0" value: "OUT"')
            ),
        },
        "TRITON-E007",
        "ens/config.pbtxt",
        16,
    ),
    (
        "ensemble-with-instance-group",
        {
            **ENSEMBLE_FILES,
            "ens/config.pbtxt": ensemble(GOOD_STEPS) + "instance_group [ { kind: KIND_CPU } ]\n",
        },
        "TRITON-E001",
        "ens/config.pbtxt",
        20,
    ),
    (
        "warmup-variable-dims",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"')
            + 'model_warmup [\n  {\n    name: "w"\n    batch_size: 1\n    inputs {\n      key: "INPUT0"\n      value { data_type: TYPE_FP32 dims: [ -1 ] zero_data: true }\n    }\n  }\n]\n',
        ),
        "TRITON-W003",
        "m/config.pbtxt",
        12,
    ),
    (
        "warmup-data-file-missing",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"')
            + 'model_warmup [\n  {\n    name: "w"\n    batch_size: 1\n    inputs {\n      key: "INPUT0"\n      value {\n        data_type: TYPE_FP32\n        dims: [ 4 ]\n        input_data_file: "in0"\n      }\n    }\n  }\n]\n',
        ),
        "TRITON-W005",
        "m/config.pbtxt",
        15,
    ),
    (
        "sequence-start-one-value",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"')
            + 'sequence_batching {\n  control_input [\n    {\n      name: "START"\n      control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 1 ] } ]\n    }\n  ]\n}\n',
        ),
        "TRITON-Q002",
        "m/config.pbtxt",
        10,
    ),
    (
        "sequence-corrid-fp32",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"')
            + 'sequence_batching {\n  control_input [\n    {\n      name: "CORRID"\n      control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_FP32 } ]\n    }\n  ]\n}\n',
        ),
        "TRITON-Q003",
        "m/config.pbtxt",
        10,
    ),
    (
        "decoupled-with-cache",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"')
            + "model_transaction_policy { decoupled: true }\nresponse_cache { enable: true }\n",
        ),
        "TRITON-S006",
        "m/config.pbtxt",
        7,
    ),
    (
        "sequence-with-cache",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"')
            + "sequence_batching { }\nresponse_cache { enable: true }\n",
        ),
        "TRITON-Q007",
        "m/config.pbtxt",
        7,
    ),
    (
        "onnx-dtype-mismatch",
        onnx_model(
            "m",
            'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 8\ninput [ { name: "x" data_type: TYPE_INT64 dims: [ 4 ] } ]\noutput [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
        ),
        "TRITON-O004",
        "m/config.pbtxt",
        4,
    ),
    (
        "onnx-batch-dim-repeated",
        onnx_model(
            "m",
            'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 8\ninput [\n  {\n    name: "x"\n    data_type: TYPE_FP32\n    dims: [ -1, 4 ]\n  }\n]\noutput [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
        ),
        "TRITON-O005",
        "m/config.pbtxt",
        8,
    ),
    (
        "onnx-corrupt-file",
        onnx_model(
            "m",
            'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 8\ninput [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
            b"\x08\x07not an onnx file\xff\xff",
        ),
        "TRITON-O001",
        "m/1/model.onnx",
        None,
    ),
    (
        "onnx-input-name",
        onnx_model(
            "m",
            'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 8\ninput [\n  {\n    name: "input"\n    data_type: TYPE_FP32\n    dims: [ 4 ]\n  }\n]\n',
        ),
        "TRITON-O003",
        "m/config.pbtxt",
        6,
    ),
    (
        "onnx-fixed-batch-dim",
        onnx_model(
            "m",
            'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 8\ninput [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
            onnx_bytes([("x", TensorProto.FLOAT, [1, 4])], [("y", TensorProto.FLOAT, [1, 4])]),
        ),
        "TRITON-O008",
        "m/config.pbtxt",
        3,
    ),
    (
        "label-file-missing",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"').replace(
                '"OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] }',
                '"OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] label_filename: "labels.txt" }',
            ),
        ),
        "TRITON-L011",
        "m/config.pbtxt",
        5,
    ),
    (
        "policy-selects-nothing",
        py_model(
            "m", PRE.replace('"pre"', '"m"') + "version_policy: { specific: { versions: [ 3 ] } }\n"
        ),
        "TRITON-V002",
        "m/config.pbtxt",
        6,
    ),
    (
        "python-output-name-differs",
        {
            "m/config.pbtxt": PRE.replace('"pre"', '"m"'),
            "m/1/model.py": MODEL_PY.replace('"OUTPUT0"', '"OUT0"'),
        },
        "TRITON-P001",
        "m/config.pbtxt",
        5,
    ),
    (
        "priority-level-out-of-range",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"')
            + "dynamic_batching {\n  priority_levels: 2\n  default_priority_level: 3\n}\n",
        ),
        "TRITON-B004",
        "m/config.pbtxt",
        8,
    ),
    (
        "onnx-optional-input-batching",
        onnx_model(
            "m",
            'name: "m"\nbackend: "onnxruntime"\nmax_batch_size: 8\ninput [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] optional: true } ]\noutput [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
        ),
        "TRITON-O006",
        "m/config.pbtxt",
        4,
    ),
    (
        "duplicate-input",
        py_model(
            "m",
            PRE.replace('"pre"', '"m"').replace(
                "dims: [ 4 ] } ]\noutput",
                'dims: [ 4 ] },\n  { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput',
            ),
        ),
        "TRITON-T009",
        "m/config.pbtxt",
        5,
    ),
    (
        "negative-max-batch-size",
        py_model(
            "m", PRE.replace('"pre"', '"m"').replace("max_batch_size: 8", "max_batch_size: -1")
        ),
        "TRITON-B001",
        "m/config.pbtxt",
        3,
    ),
    (
        "ensemble-cycle",
        {
            **ENSEMBLE_FILES,
            "ens/config.pbtxt": ensemble(GOOD_STEPS.replace('"post"', '"ens2"')),
            "ens2/1/": "",
            "ens2/config.pbtxt": ensemble(GOOD_STEPS.replace('"pre"', '"ens"')).replace(
                '"ens"\nplatform', '"ens2"\nplatform'
            ),
        },
        "TRITON-E014",
        "ens/config.pbtxt",
        14,
    ),
]


@pytest.mark.parametrize(
    ("files", "code", "file", "line"),
    [pytest.param(files, code, file, line, id=case) for case, files, code, file, line in CASES],
)
def test_broken_repository_is_flagged_with_code_and_line(
    tmp_path: Path, files: dict[str, str | bytes], code: str, file: str, line: int | None
) -> None:
    repo = Repo(tmp_path / "repo").python("ok").files(files)
    report = repo.validate()
    assert not report.valid
    assert (code, file, line) in errors(report), report.diagnostics
    assert not [d for d in report.diagnostics if d.model == "ok"]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25
    assert len({case for case, *_ in CASES}) == len(CASES)

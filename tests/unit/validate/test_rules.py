"""One failing and one passing twin per rule: the bad one gets the code, the fixed one not."""

# Fixture rows hold whole config.pbtxt snippets on one line each, so a row reads as one case.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest
from onnx import TensorProto
from repo_builder import MODEL_PY, Repo, onnx_bytes

from tritonops.repository.validate import CODES, validate_repository

BASE = """\
name: "m"
backend: "python"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
"""

ONNX_BASE = BASE.replace('backend: "python"', 'backend: "onnxruntime"')
ONNX_BASE = ONNX_BASE.replace('"INPUT0"', '"x"').replace('"OUTPUT0"', '"y"')

Files = dict[str, str | bytes]

# auto_complete_config declares the tensors model.py uses (it must, or every request fails)
AUTO_COMPLETE_PY = MODEL_PY + (
    "\n    @staticmethod\n    def auto_complete_config(c):\n"
    '        c.add_input({"name": "INPUT0", "data_type": "TYPE_FP32", "dims": [4]})\n'
    '        c.add_output({"name": "OUTPUT0", "data_type": "TYPE_FP32", "dims": [4]})\n'
    "        return c\n"
)

# reads an input that may be absent and checks it: an undeclared name is dead code, not a crash
GUARDED_READ = MODEL_PY.replace(
    "            out = ",
    '            mask = pb_utils.get_input_tensor_by_name(request, "INPUT0")\n'
    "            if mask is not None:\n"
    "                x = x * mask.as_numpy()\n"
    "            out = ",
).replace('"INPUT0")\n            if', '"MASK")\n            if')


def py(config: str, **extra: str | bytes) -> Files:
    return {"m/config.pbtxt": config, "m/1/model.py": MODEL_PY, **extra}


def onnx_files(config: str, model: bytes | None = None) -> Files:
    return {"m/config.pbtxt": config, "m/1/model.onnx": model or onnx_bytes()}


def warmup(value: str, batch: int = 1, key: str = "INPUT0") -> str:
    return BASE + (
        f'model_warmup [ {{ name: "w" batch_size: {batch} '
        f'inputs {{ key: "{key}" value {{ {value} }} }} }} ]\n'
    )


def seq(controls: str, extra: str = "") -> str:
    return BASE + f"sequence_batching {{ {extra} control_input [ {controls} ] }}\n"


START_OK = '{ name: "S" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] }'
READY_OK = '{ name: "R" control [ { kind: CONTROL_SEQUENCE_READY fp32_false_true: [ 0, 1 ] } ] }'
TRT = BASE.replace('backend: "python"', 'platform: "tensorrt_plan"')

RULES: list[tuple[str, Files, Files]] = [
    ("TRITON-L002", py(BASE) | {"m/01/model.py": MODEL_PY}, py(BASE) | {"m/2/model.py": MODEL_PY}),
    ("TRITON-L003", py(BASE) | {"m/v1/model.py": MODEL_PY}, py(BASE) | {"m/__pycache__/x": ""}),
    ("TRITON-L007", {"m/1/weights.bin": b"0"}, {"m/1/model.plan": b"0"}),
    ("TRITON-L012", py(BASE) | {".git/HEAD": "x"}, py(BASE) | {".gitignore": "x"}),
    (
        "TRITON-V001",
        py(BASE + "version_policy { specific { versions: [ 1, 2 ] } }\n"),
        py(BASE + "version_policy { specific { versions: [ 1 ] } }\n"),
    ),
    (
        "TRITON-V002",
        py(BASE + "version_policy { latest { } }\n"),
        py(BASE + "version_policy { latest { num_versions: 2 } }\n"),
    ),
    ("TRITON-S002", py(BASE.replace('backend: "python"', 'platform: "ensemble"')), py(BASE)),
    (
        "TRITON-S005",
        {"m/config.pbtxt": 'name: "m"\n', "m/1/weights.bin": b""},
        # a config that declares no tensors works only with auto_complete_config (§6)
        {"m/config.pbtxt": 'name: "m"\n', "m/1/model.py": AUTO_COMPLETE_PY},
    ),
    (
        "TRITON-S007",
        py('name: "m"\nbackend: "python"\n'),
        py(
            'name: "m"\nbackend: "python"\n',
            **{"m/1/model.py": AUTO_COMPLETE_PY},
        ),
    ),
    ("TRITON-T001", py(BASE.replace('name: "INPUT0" ', "")), py(BASE)),
    ("TRITON-T003", py(BASE.replace("dims: [ 4 ] } ]\noutput", "} ]\noutput")), py(BASE)),
    (
        "TRITON-T006",
        py(BASE.replace("dims: [ 4 ] } ]\noutput", "format: FORMAT_NCHW dims: [ 4 ] } ]\noutput")),
        py(
            BASE.replace(
                "dims: [ 4 ] } ]\noutput", "format: FORMAT_NCHW dims: [ 3, 8, 8 ] } ]\noutput"
            )
        ),
    ),
    (
        "TRITON-T007",
        py(
            BASE.replace("dims: [ 4 ] } ]\noutput", "dims: [ 4 ] is_shape_tensor: true } ]\noutput")
        ),
        {
            "m/config.pbtxt": TRT.replace(
                "dims: [ 4 ] } ]\noutput", "dims: [ 4 ] is_shape_tensor: true } ]\noutput"
            ),
            "m/1/model.plan": b"",
        },
    ),
    (
        "TRITON-T008",
        py(BASE.replace("TYPE_FP32", "TYPE_BF16")),
        {
            "m/config.pbtxt": BASE.replace("TYPE_FP32", "TYPE_BF16"),
            "m/1/model.py": MODEL_PY.replace(".as_numpy()", ".to_dlpack()"),
        },
    ),
    (
        "TRITON-T011",
        py(
            BASE
            + 'batch_input [ { kind: BATCH_ELEMENT_COUNT target_name: "N" data_type: TYPE_INT64 source_input: "INPUT0" } ]\n'
        ),
        py(
            BASE
            + 'batch_input [ { kind: BATCH_ELEMENT_COUNT target_name: "N" data_type: TYPE_INT32 source_input: "INPUT0" } ]\n'
        ),
    ),
    (
        "TRITON-T011",
        py(BASE + 'batch_output [ { target_name: "NOPE" source_input: "INPUT0" } ]\n'),
        py(BASE + 'batch_output [ { target_name: "OUTPUT0" source_input: "INPUT0" } ]\n'),
    ),
    (
        "TRITON-B003",
        py(BASE.replace("max_batch_size: 8", "max_batch_size: 0") + "dynamic_batching { }\n"),
        py(BASE + "dynamic_batching { }\n"),
    ),
    (
        "TRITON-B005",
        py(
            BASE
            + "dynamic_batching { priority_levels: 2 default_priority_level: 1 priority_queue_policy { key: 3 value { } } }\n"
        ),
        py(
            BASE
            + "dynamic_batching { priority_levels: 3 default_priority_level: 1 priority_queue_policy { key: 3 value { } } }\n"
        ),
    ),
    (
        "TRITON-B006",
        py(
            BASE
            + "dynamic_batching { preserve_ordering: true priority_levels: 2 default_priority_level: 1 }\n"
        ),
        py(BASE + "dynamic_batching { preserve_ordering: true }\n"),
    ),
    (
        "TRITON-B006",
        py(
            BASE
            + "dynamic_batching { preserve_ordering: true default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 5 } }\n"
        ),
        py(
            BASE
            + "dynamic_batching { preserve_ordering: true default_queue_policy { timeout_action: REJECT default_timeout_microseconds: 5 } }\n"
        ),
    ),
    (
        "TRITON-B007",
        py(
            BASE
            + 'sequence_batching { }\nparameters { key: "TRITON_BATCH_STRATEGY_PATH" value { string_value: "s.so" } }\n',
            **{"m/s.so": b""},
        ),
        py(
            BASE
            + 'dynamic_batching { }\nparameters { key: "TRITON_BATCH_STRATEGY_PATH" value { string_value: "s.so" } }\n',
            **{"m/s.so": b""},
        ),
    ),
    (
        "TRITON-I002",
        py(BASE + 'instance_group [ { kind: KIND_GPU profile: [ "0" ] } ]\n'),
        {
            "m/config.pbtxt": TRT + 'instance_group [ { kind: KIND_GPU profile: [ "0" ] } ]\n',
            "m/1/model.plan": b"",
        },
    ),
    (
        "TRITON-I003",
        py(BASE + "instance_group [ { kind: KIND_CPU count: -1 } ]\n"),
        py(BASE + "instance_group [ { kind: KIND_CPU count: 2 } ]\n"),
    ),
    (
        "TRITON-I004",
        py(
            BASE
            + 'instance_group [ { count: 1 rate_limiter { resources [ { name: "R" global: true count: 1 } ] } }, { count: 1 rate_limiter { resources [ { name: "R" count: 1 } ] } } ]\n'
        ),
        py(
            BASE
            + 'instance_group [ { count: 1 rate_limiter { resources [ { name: "R" global: true count: 1 } ] } } ]\n'
        ),
    ),
    (
        "TRITON-Q001",
        py(seq("{ control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] }")),
        py(seq(START_OK)),
    ),
    (
        "TRITON-Q002",
        py(
            seq(
                '{ name: "S" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] fp32_false_true: [ 0, 1 ] } ] }'
            )
        ),
        py(seq(START_OK)),
    ),
    (
        "TRITON-Q004",
        py(seq(START_OK + ", " + START_OK.replace('"S"', '"S2"'))),
        py(seq(START_OK + ", " + READY_OK)),
    ),
    (
        "TRITON-Q005",
        py(seq(START_OK, "oldest { preferred_batch_size: [ 16 ] }")),
        py(seq(START_OK, "oldest { preferred_batch_size: [ 8 ] }")),
    ),
    (
        "TRITON-Q006",
        py(seq(START_OK, "direct { minimum_slot_utilization: 1.5 }")),
        py(seq(START_OK, "direct { minimum_slot_utilization: 0.5 }")),
    ),
    (
        "TRITON-Q008",
        py(
            seq(
                '{ name: "S" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] }, { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] } ] }'
            )
        ),
        py(seq(START_OK)),
    ),
    (
        "TRITON-W001",
        py(warmup("data_type: TYPE_FP32 dims: [ 4 ] zero_data: true", key="IN")),
        py(warmup("data_type: TYPE_FP32 dims: [ 4 ] zero_data: true")),
    ),
    (
        "TRITON-W002",
        py(warmup("data_type: TYPE_INT32 dims: [ 4 ] zero_data: true")),
        py(warmup("data_type: TYPE_FP32 dims: [ 4 ] random_data: true")),
    ),
    (
        "TRITON-W003",
        py(warmup("data_type: TYPE_FP32 dims: [ 5 ] zero_data: true")),
        py(warmup("data_type: TYPE_FP32 dims: [ 4 ] zero_data: true")),
    ),
    (
        "TRITON-W004",
        py(warmup("data_type: TYPE_FP32 dims: [ 4 ]")),
        py(warmup("data_type: TYPE_FP32 dims: [ 4 ] zero_data: true")),
    ),
    (
        "TRITON-W005",
        py(
            warmup('data_type: TYPE_FP32 dims: [ 4 ] input_data_file: "d"'),
            **{"m/warmup/d": b"\0" * 15},
        ),
        py(
            warmup('data_type: TYPE_FP32 dims: [ 4 ] input_data_file: "d"'),
            **{"m/warmup/d": b"\0" * 16},
        ),
    ),
    (
        "TRITON-W006",
        py(warmup("data_type: TYPE_FP32 dims: [ 4 ] zero_data: true", batch=9)),
        py(warmup("data_type: TYPE_FP32 dims: [ 4 ] zero_data: true", batch=8)),
    ),
    (
        "TRITON-W007",
        py(
            warmup("data_type: TYPE_FP32 dims: [ 4 ] zero_data: true").replace(
                "dims: [ 4 ] } ]\noutput",
                'dims: [ 4 ] }, { name: "B" data_type: TYPE_FP32 dims: [ 1 ] } ]\noutput',
            )
        ),
        py(
            warmup("data_type: TYPE_FP32 dims: [ 4 ] zero_data: true").replace(
                "dims: [ 4 ] } ]\noutput",
                'dims: [ 4 ] }, { name: "B" data_type: TYPE_FP32 dims: [ 1 ] optional: true } ]\noutput',
            )
        ),
    ),
    (
        "TRITON-O002",
        onnx_files(
            ONNX_BASE,
            onnx_bytes([("x", TensorProto.FLOAT, ["b", 4]), ("z", TensorProto.FLOAT, ["b", 4])]),
        ),
        onnx_files(ONNX_BASE),
    ),
    (
        "TRITON-O007",
        onnx_files(ONNX_BASE.replace("dims: [ 4 ] } ]\noutput", "dims: [ 5 ] } ]\noutput")),
        onnx_files(ONNX_BASE),
    ),
    (
        "TRITON-O007",
        onnx_files(ONNX_BASE.replace("dims: [ 4 ] } ]\noutput", "dims: [ -1 ] } ]\noutput")),
        onnx_files(ONNX_BASE, onnx_bytes([("x", TensorProto.FLOAT, ["b", "n"])])),
    ),
    (
        "TRITON-P002",
        {"m/config.pbtxt": BASE, "m/1/model.py": GUARDED_READ.replace('"MASK"', '"IN"')},
        {"m/config.pbtxt": BASE, "m/1/model.py": MODEL_PY},
    ),
    (
        "TRITON-P003",
        {"m/config.pbtxt": BASE, "m/1/model.py": "def execute(:\n"},
        {"m/config.pbtxt": BASE, "m/1/model.py": MODEL_PY},
    ),
    # tritonserver 2.51 loads a config with bytes that are not UTF-8 (checked): a warning only
    (
        "TRITON-S017",
        {"m/config.pbtxt": b"# caf\xe9\n" + BASE.encode(), "m/1/model.py": MODEL_PY},
        py(BASE),
    ),
]


@pytest.mark.parametrize(
    ("code", "bad", "good"),
    [pytest.param(code, bad, good, id=f"{code}-{i}") for i, (code, bad, good) in enumerate(RULES)],
)
def test_rule_fires_on_bad_and_not_on_fixed(
    tmp_path: Path, code: str, bad: Files, good: Files
) -> None:
    bad_report = Repo(tmp_path / "bad").files(bad).validate()
    good_report = Repo(tmp_path / "good").files(good).validate()
    bad_hits = [d for d in bad_report.diagnostics if d.code == code]
    assert bad_hits, bad_report.diagnostics
    assert all(d.model for d in bad_hits)
    assert code not in {d.code for d in good_report.diagnostics}, good_report.diagnostics
    assert good_report.valid, good_report.diagnostics
    if CODES[code][0] == "error":
        assert not bad_report.valid


def test_every_code_has_severity_and_summary() -> None:
    for code, (severity, summary) in CODES.items():
        assert code.startswith("TRITON-")
        assert len(code) == 11
        assert severity in ("error", "warning")
        assert summary


def test_a_broken_config_still_gets_layout_checks_and_others_still_run(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r").files(
        {"bad/config.pbtxt": 'name: "bad"\ninput [ { name: \n', "bad/model.py": ""}
    )
    repo.python(
        "good", BASE.replace('"m"', '"good"').replace("max_batch_size: 8", "max_batch_size: -2")
    )
    codes = {(d.model, d.code) for d in repo.validate().diagnostics}
    assert ("bad", "TRITON-S001") in codes
    assert ("bad", "TRITON-L001") in codes
    assert ("good", "TRITON-B001") in codes


def test_parse_error_in_a_hand_written_config_suggests_the_field(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.write(
        "m/config.pbtxt",
        'name: "m"\nbackend: "python"\nmax_batch_sise: 8\n'
        'input [ { name: "x" data_type: FP32 dims: [ 4 ] } ]\n',
    )
    repo.write("m/1/model.py", MODEL_PY)
    [error] = [d for d in repo.validate().errors if d.code == "TRITON-S001"]
    assert error.line == 3
    assert error.message.startswith("m/config.pbtxt:3:1 does not parse:")
    assert error.hint == "did you mean `max_batch_size`? (a field of ModelConfig)"


def test_a_metric_family_triton_cannot_tune_is_a_warning_only() -> None:
    case = Path(__file__).parent / "conformance" / "rules" / "metrics_family_not_customizable"
    report = validate_repository(case / "repo")
    assert report.valid
    assert [d.code for d in report.warnings] == ["TRITON-S021"]
    tuned = validate_repository(case.parent / "metrics_first_response_buckets" / "repo")
    assert not tuned.diagnostics

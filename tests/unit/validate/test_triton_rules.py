"""Rules added after serving the corpus in a real tritonserver 2.51 (validator_vs_triton.py).

Each has a failing twin (exact code, file and line) and a passing one; the comment on each says what
the real server did with the failing repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_builder import MODEL_PY, ONNX_CONFIG, PY_CONFIG, TRTLLM_PARAMS, Repo, errors, found

Files = dict[str, str | bytes]

# model.py keeps the tensor in a variable, as Triton's own examples do
ASSIGNED_READ = MODEL_PY.replace(
    'x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()',
    'in0 = pb_utils.get_input_tensor_by_name(request, "IN0")\n            x = in0.as_numpy()',
)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        pytest.param(
            # loads; every request: AttributeError: 'NoneType' object has no attribute 'as_numpy'
            {"m/1/model.py": MODEL_PY},
            ("TRITON-L014", "m/config.pbtxt", None),
            id="L014-no-config-model-py-reads-input",
        ),
        pytest.param(
            # same failure, the tensor kept in a variable first
            {"m/config.pbtxt": PY_CONFIG.format(name="m"), "m/1/model.py": ASSIGNED_READ},
            ("TRITON-P004", "m/config.pbtxt", 5),
            id="P004-assigned-then-used",
        ),
        pytest.param(
            {
                "m/config.pbtxt": PY_CONFIG.format(name="m"),
                "m/1/model.py": MODEL_PY.replace('"INPUT0"', '"INPUT_0"'),
            },
            ("TRITON-P004", "m/config.pbtxt", 5),
            id="P004-chained-as-numpy",
        ),
        pytest.param(
            # config declares no tensors and model.py reads one: "request has 0 inputs" / None
            {"m/config.pbtxt": 'name: "m"\nbackend: "python"\n', "m/1/model.py": MODEL_PY},
            ("TRITON-P004", "m/config.pbtxt", None),
            id="P004-config-declares-nothing",
        ),
        pytest.param(
            # unable to find backend library for backend 'pytorch_libtorch'
            {
                "m/config.pbtxt": PY_CONFIG.format(name="m").replace(
                    'backend: "python"', 'backend: "pytorch_libtorch"'
                ),
                "m/1/model.py": MODEL_PY,
            },
            ("TRITON-S008", "m/config.pbtxt", 2),
            id="S008-platform-name-as-backend",
        ),
        pytest.param(
            # unable to find backend library for backend 'onnxrutime'
            {
                "m/config.pbtxt": ONNX_CONFIG.format(name="m").replace(
                    '"onnxruntime"', '"onnxrutime"'
                ),
                "m/1/model.onnx": b"",
            },
            ("TRITON-S008", "m/config.pbtxt", 2),
            id="S008-misspelled-backend",
        ),
    ],
)
def test_rule_flags_what_triton_fails(
    tmp_path: Path, bad: Files, expected: tuple[str, str, int | None]
) -> None:
    report = Repo(tmp_path / "repo").files(bad).validate()
    assert expected in errors(report), report.diagnostics


# auto_complete_config declares what model.py reads and writes (python_backend ModelConfig helper)
AUTO_COMPLETE = MODEL_PY + (
    "\n    @staticmethod\n    def auto_complete_config(config):\n"
    '        config.add_input({"name": "INPUT0", "data_type": "TYPE_FP32", "dims": [4]})\n'
    '        config.add_output({"name": "OUTPUT0", "data_type": "TYPE_FP32", "dims": [4]})\n'
    "        return config\n"
)
GUARDED = MODEL_PY.replace(
    "            out = ",
    '            mask = pb_utils.get_input_tensor_by_name(request, "MASK")\n'
    "            if mask is not None:\n"
    "                x = x * mask.as_numpy()\n"
    "            out = ",
)


@pytest.mark.parametrize(
    "good",
    [
        pytest.param({"m/1/model.py": AUTO_COMPLETE}, id="L014-auto-complete-config"),
        pytest.param(
            {"m/config.pbtxt": PY_CONFIG.format(name="m"), "m/1/model.py": MODEL_PY},
            id="P004-declared",
        ),
        pytest.param(
            {"m/config.pbtxt": PY_CONFIG.format(name="m"), "m/1/model.py": GUARDED},
            id="P004-checked-for-none",
        ),
        pytest.param(
            {
                "m/config.pbtxt": 'name: "m"\nbackend: "python"\n',
                "m/1/model.py": AUTO_COMPLETE,
            },
            id="P004-auto-complete-declares",
        ),
        pytest.param(
            {
                "m/config.pbtxt": 'name: "m"\nbackend: "vllm"\n'
                "model_transaction_policy { decoupled: true }\n",
                "m/1/model.json": '{"model": "facebook/opt-125m"}',
            },
            id="S008-custom-backend",
        ),
        pytest.param(
            {"m/config.pbtxt": 'name: "m"\nbackend: "tensorrtllm"\n' + TRTLLM_PARAMS, "m/1/": ""},
            id="S008-known-backend",
        ),
    ],
)
def test_rule_stays_quiet_on_what_triton_serves(tmp_path: Path, good: Files) -> None:
    report = Repo(tmp_path / "repo").files(good).validate()
    codes = {code for code, _, _ in found(report)}
    assert not codes & {"TRITON-L014", "TRITON-P004", "TRITON-S008"}, report.diagnostics
    assert report.valid, report.diagnostics


def test_guarded_read_of_an_undeclared_input_is_only_a_warning(tmp_path: Path) -> None:
    files: Files = {"m/config.pbtxt": PY_CONFIG.format(name="m"), "m/1/model.py": GUARDED}
    report = Repo(tmp_path / "repo").files(files).validate()
    assert found(report) == [("TRITON-P002", "m/config.pbtxt", 5)]

"""Rules on values and versions: runtime, parameters, versions past int64, warmup paths, dtypes.

The conformance corpus (conformance/rules/) holds one repository per rule with Triton's verdict;
these tests pin the edges of each rule: where it must stay silent, and what it says.
"""

from __future__ import annotations

from pathlib import Path

from repo_builder import MODEL_PY, PY_CONFIG, Repo

from tritonops.repository.diagnostics import Diagnostic


def _found(tmp_path: Path, config_extra: str, **files: str | bytes) -> list[Diagnostic]:
    repo = Repo(tmp_path / "repo").python("m", PY_CONFIG.format(name="m") + config_extra)
    for rel, content in files.items():
        repo.write(rel, content)
    return repo.validate().diagnostics


def _codes(diagnostics: list[Diagnostic]) -> set[str]:
    return {d.code for d in diagnostics}


def test_runtime_inside_the_backend_folders_is_accepted(tmp_path: Path) -> None:
    for i, runtime in enumerate(("libtriton_python.so", "/libtriton_python.so", "libx.so.1")):
        found = _found(tmp_path / str(i), f'runtime: "{runtime}"\n')
        assert "TRITON-S014" not in _codes(found), runtime


def test_runtime_escaping_is_an_error_on_its_line(tmp_path: Path) -> None:
    [error] = [
        d for d in _found(tmp_path, 'runtime: "a/../../lib.so"\n') if d.code == "TRITON-S014"
    ]
    assert error.line == PY_CONFIG.count("\n") + 1
    assert "escapes" in error.message


def test_runtime_that_is_no_library_passes_when_the_model_ships_it(tmp_path: Path) -> None:
    assert "TRITON-S014" in _codes(_found(tmp_path / "a", 'runtime: "custom_runtime"\n'))
    shipped = _found(tmp_path / "b", 'runtime: "custom_runtime"\n', **{"m/custom_runtime": "x"})
    assert "TRITON-S014" not in _codes(shipped)


def test_placeholder_is_an_error_where_the_model_reads_it(tmp_path: Path) -> None:
    param = 'parameters { key: "TOKENIZER" value { string_value: "${tokenizer_dir}" } }\n'
    reads = MODEL_PY.replace(
        "class TritonPythonModel:\n",
        "class TritonPythonModel:\n"
        "    def initialize(self, args):\n"
        "        self.path = args['model_config']['parameters']['TOKENIZER']\n\n",
    )
    [read] = [
        d
        for d in _found(tmp_path / "a", param, **{"m/1/model.py": reads})
        if d.code == "TRITON-S015"
    ]
    assert read.severity == "error"
    assert "${tokenizer_dir}" in read.message
    [unread] = [d for d in _found(tmp_path / "b", param) if d.code == "TRITON-S015"]
    assert unread.severity == "warning"


def test_placeholder_on_tensorrtllm_is_a_warning(tmp_path: Path) -> None:
    """Its templates leave optional parameters unfilled on purpose."""
    config = (
        'name: "llm"\nbackend: "tensorrtllm"\nmax_batch_size: 8\n'
        'parameters { key: "gpt_model_path" value { string_value: "${engine_dir}" } }\n'
    )
    report = Repo(tmp_path / "repo").files({"llm/config.pbtxt": config, "llm/1/x": ""}).validate()
    assert "TRITON-S015" in {d.code for d in report.warnings}
    assert "TRITON-S015" not in {d.code for d in report.errors}


def test_placeholder_a_model_tests_for_itself_is_a_warning(tmp_path: Path) -> None:
    param = 'parameters { key: "TOKENIZER" value { string_value: "${tokenizer_dir}" } }\n'
    handles = MODEL_PY.replace(
        "class TritonPythonModel:\n",
        "class TritonPythonModel:\n"
        "    def initialize(self, args):\n"
        "        value = args['model_config']['parameters']['TOKENIZER']\n"
        "        self.path = None if value.startswith('${') else value\n\n",
    )
    [found] = [
        d for d in _found(tmp_path, param, **{"m/1/model.py": handles}) if d.code == "TRITON-S015"
    ]
    assert found.severity == "warning"


def test_dollar_signs_that_are_no_placeholder_are_fine(tmp_path: Path) -> None:
    param = (
        'parameters { key: "EXECUTION_ENV_PATH" value { string_value: '
        '"$$TRITON_MODEL_DIRECTORY/env.tar.gz" } }\n'
    )
    assert "TRITON-S015" not in _codes(_found(tmp_path, param))


def test_version_numbers_up_to_int64_max_are_versions(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo").python("m")
    repo.write("m/9223372036854775807/model.py", MODEL_PY)
    repo.write("m/9223372036854775808/model.py", MODEL_PY)
    report = repo.validate()
    [error] = [d for d in report.errors if d.code == "TRITON-L015"]
    assert error.file == "m/9223372036854775808"
    assert [d for d in report.errors if d.code != "TRITON-L015"] == []


def test_absolute_warmup_file_is_read_under_warmup(tmp_path: Path) -> None:
    warmup = (
        'model_warmup [ { name: "w" batch_size: 1 inputs { key: "INPUT0" value { '
        'data_type: TYPE_FP32 dims: [ 4 ] input_data_file: "/data/x.bin" } } } ]\n'
    )
    outside = tmp_path / "x.bin"
    outside.write_bytes(b"\0" * 16)
    [error] = [d for d in _found(tmp_path / "a", warmup) if d.code == "TRITON-W005"]
    assert "m/warmup/data/x.bin" in error.message
    assert 'input_data_file: "data/x.bin"' in error.hint
    inside = _found(tmp_path / "b", warmup, **{"m/warmup/data/x.bin": b"\0" * 16})
    assert "TRITON-W005" not in _codes(inside)


def test_variable_leading_dims_are_not_flagged(tmp_path: Path) -> None:
    """[-1, -1, 3] (H x W x C) and [-1, -1] (beams x tokens) are ordinary batching-model dims."""
    config = PY_CONFIG.format(name="m").replace("dims: [ 4 ]", "dims: [ -1, -1, 3 ]", 1)
    report = Repo(tmp_path / "repo").python("m", config).validate()
    assert report.diagnostics == []


def test_bf16_is_fine_outside_as_numpy(tmp_path: Path) -> None:
    bf16 = PY_CONFIG.format(name="m").replace("TYPE_FP32", "TYPE_BF16")
    dlpack = MODEL_PY.replace(".as_numpy()", ".to_dlpack()")
    report = Repo(tmp_path / "a").python("m", bf16, model_py=dlpack).validate()
    assert "TRITON-T008" not in {d.code for d in report.diagnostics}
    numpy = Repo(tmp_path / "b").python("m", bf16).validate()
    [warning] = [d for d in numpy.warnings if d.code == "TRITON-T008"]
    assert "to_dlpack" in warning.hint


def test_decoupled_merge_points_at_the_step(tmp_path: Path) -> None:
    step = PY_CONFIG.replace("max_batch_size: 8", "max_batch_size: 0")
    two = step.replace(
        'name: "INPUT0"',
        'name: "A"\n    data_type: TYPE_FP32\n    dims: [ 4 ]\n  }},\n  {{\n    name: "B"',
    )
    ensemble = """\
name: "e"
platform: "ensemble"
input [ { name: "IN" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] } ]
ensemble_scheduling {
  step [
    { model_name: "dec" model_version: -1 input_map { key: "INPUT0" value: "IN" }
      output_map { key: "OUTPUT0" value: "a" } },
    { model_name: "add" model_version: -1 input_map { key: "A" value: "a" }
      input_map { key: "B" value: "IN" } output_map { key: "OUTPUT0" value: "OUT" } }
  ]
}
"""
    repo = Repo(tmp_path / "repo")
    repo.python("dec", step.format(name="dec") + "model_transaction_policy { decoupled: true }\n")
    repo.python("add", two.format(name="add"))
    repo.files({"e/config.pbtxt": ensemble, "e/1/.keep": ""})
    [error] = [d for d in repo.validate().errors if d.code == "TRITON-E020"]
    assert error.model == "e"
    assert error.line == 9
    assert "'add'" in error.message

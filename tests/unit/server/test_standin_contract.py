"""Rules of the onnxruntime stand-in that need no server: backend-config resolution, number
parsing as the C++ backend parses, and the refusal of non-tensor graph values."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from tritonops.server import backends
from tritonops.server.backends import ORT_DEFAULT_MAX_BATCH_SIZE_ENV, backend_settings
from tritonops.server.backends import stand_in_environment as environment


def _load_contract() -> ModuleType:
    """ort_contract.py as the backend stub imports it: a top-level module of its folder (the
    folder sits beside server/backends.py, so it is not importable as a tritonops package)."""
    path = Path(backends.__file__).parent / "backends" / "onnxruntime" / "ort_contract.py"
    spec = importlib.util.spec_from_file_location("ort_contract_under_test", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


contract = _load_contract()
DEFAULT_MAX_BATCH_SIZE_ENV = contract.DEFAULT_MAX_BATCH_SIZE_ENV
Signature = contract.Signature
auto_complete = contract.auto_complete
default_max_batch_size = contract.default_max_batch_size
load_problems = contract.load_problems
parse_int = contract.parse_int
parse_bool = contract.parse_bool
parameter_problems = contract.parameter_problems
accelerator_problems = contract.accelerator_problems


def test_the_default_max_batch_size_is_4_without_any_backend_config() -> None:
    """core src/backend_model.cc SetBackendConfigDefaults: default-max-batch-size "4"."""
    assert environment([]) == {ORT_DEFAULT_MAX_BATCH_SIZE_ENV: "4"}
    assert ORT_DEFAULT_MAX_BATCH_SIZE_ENV == DEFAULT_MAX_BATCH_SIZE_ENV


@pytest.mark.parametrize(
    ("argv", "value"),
    [
        (["--backend-config=default-max-batch-size=16"], "16"),
        (["--backend-config", "default-max-batch-size=16"], "16"),
        (["--backend-config=onnxruntime,default-max-batch-size=8"], "8"),
        # the backend's own setting wins over the global one, in either order
        (
            [
                "--backend-config=onnxruntime,default-max-batch-size=8",
                "--backend-config=default-max-batch-size=2",
            ],
            "8",
        ),
        # another backend's setting is not the onnxruntime backend's
        (["--backend-config=tensorrt,default-max-batch-size=8"], "4"),
        (["--backend-config=python,shm-default-byte-size=1048576"], "4"),
    ],
)
def test_backend_config_resolves_as_tritonserver_resolves_it(argv: list[str], value: str) -> None:
    """server src/command_line_parser.cc ParseBackendConfigOption ("<backend>,<setting>=<value>"
    or "<setting>=<value>"); core src/backend_model.cc ResolveBackendConfigs (global first, the
    backend's own settings override them)."""
    assert backend_settings(argv, "onnxruntime")["default-max-batch-size"] == value


@pytest.mark.parametrize(
    ("text", "value"), [("8", 8), (" 8", 8), ("+3", 3), ("-1", -1), ("12abc", 12)]
)
def test_numbers_parse_as_std_stoi_parses_them(text: str, value: int) -> None:
    """backend src/backend_common.cc ParseIntValue uses std::stoi."""
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["", "two", "abc12"])
def test_a_value_that_is_not_a_number_is_refused_in_the_backends_words(text: str) -> None:
    with pytest.raises(ValueError, match=f"failed to convert '{text}' to integral number"):
        parse_int(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("ON", True), ("1", True), ("False", False), ("off", False), ("0", False)],
)
def test_flags_parse_as_parse_bool_value_parses_them(text: str, value: bool) -> None:
    """backend src/backend_common.cc ParseBoolValue lower-cases, then reads true/on/1 and
    false/off/0 only."""
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["yes", "", " true", "2", "enabled"])
def test_a_flag_it_cannot_read_is_refused_in_the_backends_words(text: str) -> None:
    with pytest.raises(ValueError, match=f"failed to convert '{text}' to boolean"):
        parse_bool(text)


def test_cuda_options_are_read_on_gpu_instances_only() -> None:
    """onnxruntime.cc ModelState::LoadModel parses cudnn_conv_algo_search (0-2) and
    arena_extend_strategy (0-1) for the CUDA execution provider, that is for a GPU instance."""
    params = {"cudnn_conv_algo_search": "3", "arena_extend_strategy": "fast"}
    assert parameter_problems(params, gpu=False) == []
    assert parameter_problems(params, gpu=True) == [
        ("cudnn_conv_algo_search", "unsupported cudnn_conv_algo_search value '3' is requested"),
        ("arena_extend_strategy", "failed to convert 'fast' to integral number"),
    ]
    fine = {"cudnn_conv_algo_search": "2", "arena_extend_strategy": "1", "enable_mem_arena": "0"}
    assert parameter_problems(fine, gpu=True) == []


def test_session_problems_come_in_the_backends_order() -> None:
    params = {"enable_mem_pattern": "maybe", "execution_mode": "2", "intra_op_thread_count": "x"}
    assert [key for key, _ in parameter_problems(params, gpu=False)] == [
        "execution_mode",
        "intra_op_thread_count",
        "enable_mem_pattern",
    ]


def test_gpu_accelerators_are_read_on_gpu_instances_only() -> None:
    """onnxruntime.cc ModelState::LoadModel reads gpu_execution_accelerator for GPU (and AUTO)
    instances only; cpu_execution_accelerator for every instance."""
    gpu = [("tensorrt", {"precision_mode": "FP8"}), ("rocm", {})]
    assert accelerator_problems([("openvino", {})], None) == []
    assert accelerator_problems([], gpu) == [
        ('gpu_execution_accelerator[0].parameters["precision_mode"]', "precision",
         "unsupported precision mode 'FP8' is requested"),
        ("gpu_execution_accelerator[1].name", "name",
         "unknown Execution Accelerator 'rocm' is requested"),
    ]  # fmt: skip
    assert accelerator_problems([("onednn", {})], None) == [
        (
            "cpu_execution_accelerator[0].name",
            "name",
            "unknown Execution Accelerator 'onednn' is requested",
        )
    ]


def test_a_tensorrt_size_is_read_as_std_stoull_reads_it() -> None:
    """ParseUnsignedLongLongValue: "1GB" is 1 (the backend accepts it), "GB" fails."""
    assert accelerator_problems([], [("tensorrt", {"max_workspace_size_bytes": "1GB"})]) == []
    [(_, _, message)] = accelerator_problems([], [("tensorrt", {"max_workspace_size_bytes": "GB"})])
    assert message == "failed to convert 'GB' to unsigned long long integral number"


@pytest.mark.parametrize("text", ["2147483648", "-2147483649", "9" * 5000])
def test_a_number_past_a_32_bit_int_is_refused(text: str) -> None:
    """std::stoi throws std::out_of_range there, and backend_common.cc ParseIntValue catches
    only std::invalid_argument; the quoted value is cut to a bounded length."""
    with pytest.raises(ValueError, match="out of range for an integer") as caught:
        parse_int(text)
    assert len(str(caught.value)) < 200
    assert parse_int("2147483647") == 2**31 - 1
    assert parse_int("-2147483648") == -(2**31)
    assert parse_int("0000000000012") == 12


def test_a_negative_default_max_batch_size_means_no_batching() -> None:
    """onnxruntime.cc AutoCompleteMaxBatch: max(default_max_batch_size, 0)."""
    assert default_max_batch_size({DEFAULT_MAX_BATCH_SIZE_ENV: "-3"}) == 0
    assert default_max_batch_size({}) == 4


def _value(name: str, type_: str, shape: list[object]) -> SimpleNamespace:
    return SimpleNamespace(name=name, type=type_, shape=shape)


class FakeSession:
    """Stands in for onnxruntime.InferenceSession's signature accessors (unit tests only)."""

    def __init__(self, outputs: list[SimpleNamespace]) -> None:
        self.outputs = outputs

    def get_inputs(self) -> list[SimpleNamespace]:
        return [_value("X", "tensor(float)", [None, 4])]

    def get_overridable_initializers(self) -> list[SimpleNamespace]:
        return []

    def get_outputs(self) -> list[SimpleNamespace]:
        return self.outputs


@pytest.mark.parametrize(
    ("type_", "kind"),
    [
        ("seq(map(int64,tensor(float)))", "ONNX_TYPE_SEQUENCE"),
        ("map(string,tensor(float))", "ONNX_TYPE_MAP"),
        ("optional(tensor(float))", "ONNX_TYPE_UNKNOWN"),
    ],
)
def test_a_graph_value_that_is_not_a_tensor_refuses_the_model(type_: str, kind: str) -> None:
    """onnxruntime_utils.cc InputOutputInfos refuses any non-tensor input or output, at
    auto-complete and at load, whatever the config lists."""
    session = FakeSession(
        [_value("output_label", "tensor(int64)", [None]), _value("probs", type_, [])]
    )
    graph = Signature(session)
    expected = f"Unsupported ONNX Type '{kind}' for I/O 'probs', expected 'ONNX_TYPE_TENSOR'."
    config = {"name": "m", "max_batch_size": 8}
    with pytest.raises(ValueError, match="Unsupported ONNX Type") as caught:
        auto_complete(config, graph)
    assert str(caught.value) == expected
    config["input"] = [{"name": "X", "data_type": "TYPE_FP32", "dims": [4]}]
    config["output"] = [{"name": "output_label", "data_type": "TYPE_INT64", "dims": [1]}]
    assert load_problems(config, graph) == [expected]


def test_serve_hands_backend_config_to_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``tritonops serve --backend-config X`` starts tritonserver with ``--backend-config=X``."""
    from click.testing import CliRunner

    from tritonops.cli import serve as serve_cli
    from tritonops.cli.main import cli

    started: list[list[str]] = []

    class FakeLocalTriton:
        """Records how the command builds the server (unit tests only)."""

        def __init__(self, repository: Path, **options: object) -> None:
            extra = options.get("extra_args") or []
            assert isinstance(extra, list)
            started.append([str(a) for a in extra])

    monkeypatch.setattr(serve_cli, "LocalTriton", FakeLocalTriton)
    monkeypatch.setattr(serve_cli, "serve_forever", lambda server, ready: None)
    result = CliRunner().invoke(
        cli,
        ["serve", str(tmp_path), "--backend-config", "onnxruntime,default-max-batch-size=8"],
    )
    assert result.exit_code == 0, result.output
    assert started == [["--backend-config=onnxruntime,default-max-batch-size=8"]]

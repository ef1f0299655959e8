"""The newest model_config schema, the field -> release table, and --triton-version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from repo_builder import MODEL_PY, PY_CONFIG, Repo
from tritonclient.grpc import model_config_pb2 as pb

from tritonops.cli.main import cli
from tritonops.errors import RepositoryError
from tritonops.repository.validate import validate_repository
from tritonops.repository.validate.newest_schema import (
    PINNED_RELEASE,
    Templates,
    newest_config_class,
    parse_newest,
)
from tritonops.repository.validate.release_schema import (
    EMBEDDED_SERVER_RELEASE,
    load_server_note,
    release_of_image,
    schema_label,
)
from tritonops.repository.validate.releases import FIELDS, NEWEST_RELEASE
from tritonops.repository.validate.report import ValidationReport, format_report, summary

METRICS = (
    "model_metrics { metric_control [ { metric_identifier { family: "
    '"nv_inference_first_response_histogram_ms" } histogram_options { buckets: [ 1, 2 ] } } ] }\n'
)


def _fields(descriptor: object, prefix: str = "") -> dict[str, int]:
    out: dict[str, int] = {}
    for message in descriptor.message_types_by_name.values():  # type: ignore[attr-defined]
        out.update(_message_fields(message, prefix))
    return out


def _message_fields(message: object, prefix: str) -> dict[str, int]:
    name = prefix + message.name  # type: ignore[attr-defined]
    out = {f"{name}.{f.name}": f.number for f in message.fields}  # type: ignore[attr-defined]
    for nested in message.nested_types:  # type: ignore[attr-defined]
        if not nested.GetOptions().map_entry:
            out.update(_message_fields(nested, name + "."))
    return out


def test_table_agrees_with_the_pinned_schema_and_the_newest_one() -> None:
    table = {path: number for path, number, _, _ in FIELDS}
    pinned = _fields(pb.DESCRIPTOR)
    newest = _fields(newest_config_class().DESCRIPTOR.file)
    assert newest == table  # every field of the newest proto, with its number
    newer = {p for p, _, release, _ in FIELDS if release > PINNED_RELEASE}
    assert set(table) - set(pinned) == newer  # the pinned descriptor lacks exactly the newer ones
    assert all(pinned[p] == n for p, n in table.items() if p in pinned)


def test_newest_fields_parse_and_a_typo_still_does_not(tmp_path: Path) -> None:
    config = PY_CONFIG.format(name="m") + METRICS
    report = Repo(tmp_path / "r").python("m", config).validate()
    assert report.valid, report.diagnostics
    assert report.schema == f"Triton {NEWEST_RELEASE} model_config"
    typo = Repo(tmp_path / "t").python("m", config + "model_metric { }\n").validate()
    assert [d.code for d in typo.errors] == ["TRITON-S001"]


@pytest.mark.parametrize(
    ("extra", "release", "added"),
    [
        (METRICS, "24.09", "24.11"),
        (METRICS, "24.11", None),
        ("ensemble_scheduling { max_inflight_requests: 2 }", "25.10", "25.11"),
        ("ensemble_scheduling { max_inflight_requests: 2 }", "25.11", None),
        ("response_cache { enable: false }", "21.10", None),  # added for 21.10 (#30)
        ("response_cache { enable: false }", "21.09", "21.10"),
    ],
)
def test_field_newer_than_the_target_is_an_error(
    tmp_path: Path, extra: str, release: str, added: str | None
) -> None:
    Repo(tmp_path).files({"m/config.pbtxt": PY_CONFIG.format(name="m") + extra})
    Repo(tmp_path).files({"m/1/model.py": MODEL_PY})
    report = validate_repository(tmp_path, triton_version=release)
    hits = [d for d in report.diagnostics if d.code == "TRITON-S010"]
    if added is None:
        assert not hits, hits
    else:
        assert len(hits) == 1, hits  # the outermost field only
        assert f"needs Triton {added} or newer" in hits[0].message
        assert hits[0].line is not None
        assert report.schema.endswith(f"checked for Triton {release}")


def test_cli_triton_version(tmp_path: Path) -> None:
    Repo(tmp_path).python("m", PY_CONFIG.format(name="m") + METRICS)
    runner = CliRunner()
    old = runner.invoke(cli, ["validate", str(tmp_path), "--triton-version", "24.09"])
    assert old.exit_code == 1, old.output
    assert "TRITON-S010" in old.output
    assert "checked for Triton 24.09" in old.output
    new = runner.invoke(cli, ["validate", str(tmp_path)])
    assert new.exit_code == 0, new.output
    bad = runner.invoke(cli, ["validate", str(tmp_path), "--triton-version", "latest"])
    assert bad.exit_code == 2
    assert "YY.MM" in bad.output


def test_bad_release_is_a_repository_error(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match=r"YY\.MM"):
        validate_repository(tmp_path, triton_version="24")


@pytest.mark.parametrize(
    ("image", "release"),
    [
        ("nvcr.io/nvidia/tritonserver:24.10-py3", "24.10"),
        ("tritonserver:25.01", "25.01"),
        ("localhost:5000/tritonserver", None),
        ("registry/x:latest", None),
    ],
)
def test_release_of_image(image: str, release: str | None) -> None:
    assert release_of_image(image) == release


def test_project_release_is_the_kubernetes_image_tag() -> None:
    from types import SimpleNamespace

    from tritonops.repository.validate.release_schema import project_release

    k8s = SimpleNamespace(image="nvcr.io/nvidia/tritonserver:24.10-py3")
    assert project_release(SimpleNamespace(targets=SimpleNamespace(kubernetes=k8s))) == "24.10"
    assert project_release(SimpleNamespace(targets=SimpleNamespace(kubernetes=None))) is None


def test_load_verdict_names_the_embedded_server_when_the_target_differs() -> None:
    note = load_server_note("24.09")
    assert "embedded tritonserver 2.51" in note
    assert "24.09" in note
    assert load_server_note(None) == ""
    assert load_server_note(EMBEDDED_SERVER_RELEASE) == ""
    assert "/opt/tritonserver" in load_server_note("25.01", "/opt/tritonserver")
    report = ValidationReport(models=1, load=(), schema=schema_label("24.09"), load_server=note)
    assert f"[load: {note}]" in summary(report)
    assert json.loads(format_report(report, "json"))["load_server"] == note
    assert "load_server" in format_report(report, "junit")
    # without load results there is no load verdict to qualify
    assert "[load:" not in summary(ValidationReport(models=1, load_server=note))


def test_configs_differing_only_in_name_parse_alike() -> None:
    templates = Templates()
    body = '\nmax_batch_size: 4\ninput [ { name: "x" data_type: TYPE_FP32 dims: [ 2 ] } ]\n'
    parsed = [parse_newest(f'name: "{n}"' + body, f"{n}/config.pbtxt", templates) for n in "abcd"]
    assert [p.name for p in parsed] == list("abcd")
    assert all(p.input[0].name == "x" and p.max_batch_size == 4 for p in parsed)
    parsed[2].input[0].name = "changed"  # a copy: later parses are not affected
    assert parse_newest('name: "e"' + body, "e/config.pbtxt", templates).input[0].name == "x"


def test_a_nested_name_at_column_0_is_not_taken_for_the_models() -> None:
    templates = Templates()
    text = 'input [\n{\nname: "x"\ndata_type: TYPE_FP32\ndims: [ 2 ]\n}\n]\n'
    for value in ("x", "x", "y", "z", "y"):
        config = parse_newest(text.replace('"x"', f'"{value}"'), "m/config.pbtxt", templates)
        assert config.name == ""
        assert config.input[0].name == value

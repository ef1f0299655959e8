"""Report formats: parse each back and check what it says."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from repo_builder import PY_CONFIG, Repo

from tritonops.repository.validate import ValidationReport, format_report
from tritonops.repository.validate.releases import NEWEST_RELEASE


@pytest.fixture
def report(tmp_path: Path) -> ValidationReport:
    repo = Repo(tmp_path / "repo").python("ok")
    bad = PY_CONFIG.format(name="bad") + "dynamic_batching { preferred_batch_size: [ 16 ] }\n"
    repo.python("bad", bad)
    repo.files({"warn/1/model.py": "x = 1\n"})
    return repo.validate()


def test_json_has_exact_shape(report: ValidationReport) -> None:
    data = json.loads(format_report(report, "json"))
    assert set(data) == {"valid", "models", "schema", "diagnostics"}
    assert data["schema"] == f"Triton {NEWEST_RELEASE} model_config"
    assert data["valid"] is False
    assert data["models"] == 3
    first = data["diagnostics"][0]
    assert list(first) == ["code", "severity", "model", "file", "line", "message", "hint"]
    assert (first["code"], first["file"], first["line"]) == ("TRITON-B002", "bad/config.pbtxt", 18)
    assert "raise max_batch_size or drop 16" in first["hint"]


def test_text_lines_and_summary(report: ValidationReport) -> None:
    lines = format_report(report, "text").splitlines()
    assert lines[0].startswith("bad/config.pbtxt:18: error TRITON-B002:")
    assert lines[-1] == (
        "3 model(s), 1 error(s), 1 warning(s): invalid "
        f"[schema: Triton {NEWEST_RELEASE} model_config]"
    )


def test_github_workflow_commands(report: ValidationReport) -> None:
    lines = format_report(report, "github").splitlines()
    error = next(line for line in lines if "TRITON-B002" in line)
    head, _, message = error.partition("::")[2].partition("::")
    assert head.startswith("error file=")
    assert head.endswith("bad/config.pbtxt,line=18,title=TRITON-B002")
    assert "preferred_batch_size 16" in message
    assert any(line.startswith("::warning file=") and "TRITON-L009" in line for line in lines)
    assert lines[-1].startswith("::error::")
    assert lines[-1].endswith(f"[schema: Triton {NEWEST_RELEASE} model_config]")


def test_junit_one_testcase_per_model(report: ValidationReport) -> None:
    root = ET.fromstring(format_report(report, "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    prop = suite.find("properties/property")
    assert prop is not None
    assert (prop.get("name"), prop.get("value")) == (
        "schema",
        f"Triton {NEWEST_RELEASE} model_config",
    )
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"ok", "bad", "warn"}
    failure = cases["bad"].find("failure")
    assert failure is not None
    assert failure.get("type") == "TRITON-B002"
    assert cases["ok"].find("failure") is None
    assert cases["warn"].find("failure") is None


def test_github_escapes_newlines_and_commas(tmp_path: Path) -> None:
    from tritonops.repository.diagnostics import Diagnostic

    diag = Diagnostic("a,b/config.pbtxt", 3, "TRITON-S001", "error", "a,b", "line1\nline2 100%")
    text = format_report(ValidationReport(1, [diag], Path("r")), "github")
    assert "file=r/a%2Cb/config.pbtxt" in text
    assert "line1%0Aline2 100%25" in text


def test_unknown_format_is_rejected(report: ValidationReport) -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        format_report(report, "yaml")

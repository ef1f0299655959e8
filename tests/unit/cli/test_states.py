"""States are types: every state/status/outcome field of the build, deploy, history and doctor
records is a Literal (mypy checks each value written), and `tritonops history` shows them all."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops import doctor
from tritonops.builders.run import BuildResult, ModelBuild
from tritonops.cli.main import cli
from tritonops.deploy import history
from tritonops.deploy.remote import RemoteDeployResult
from tritonops.repository.project import RenderResult
from tritonops.repository.validate.report import LoadResult

RECORDS = [BuildResult, ModelBuild, RenderResult, LoadResult, history.DeployRecord,
           RemoteDeployResult, doctor.Check]  # fmt: skip
STATE_FIELDS = {"state", "status", "outcome", "repository_state", "target"}


def _literal_values(hint: object) -> set[str]:
    """The strings a Literal (or a union of Literals) allows; empty when it is no Literal."""
    if typing.get_origin(hint) is typing.Literal:
        return {str(v) for v in typing.get_args(hint)}
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        parts = [_literal_values(a) for a in typing.get_args(hint)]
        return set().union(*parts) if all(parts) else set()
    return set()


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_state_fields_are_literals(record: type) -> None:
    hints = typing.get_type_hints(record)
    fields = [f.name for f in dataclasses.fields(record) if f.name in STATE_FIELDS]
    assert fields, f"{record.__name__} has no state field to check"
    for name in fields:
        assert _literal_values(hints[name]), f"{record.__name__}.{name}: {hints[name]}"


def test_repository_state_adds_not_rendered_to_the_render_states() -> None:
    hints = typing.get_type_hints(BuildResult)
    assert _literal_values(hints["repository_state"]) == {"written", "up-to-date", "not-rendered"}


def test_history_shows_what_an_interrupted_deploy_staged(tmp_path: Path) -> None:
    def record(outcome: history.Outcome, deploy_id: str, **extra: typing.Any) -> None:
        history.append(tmp_path, history.DeployRecord("remote", outcome, endpoint="h:8000",
                                                      deploy_id=deploy_id, **extra))  # fmt: skip

    record("in-progress", "a", staged=("classifier.tritonops-canary",))
    record("in-progress", "b", staged=("scorer.tritonops-canary",))
    record("success", "b", staged=("scorer.tritonops-canary",))
    result = CliRunner().invoke(cli, ["history", "-f", str(tmp_path / "tritonops.yaml")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    interrupted = lines.index(next(line for line in lines if "interrupted" in line))
    assert "staged: classifier.tritonops-canary (may still be loaded)" in lines[interrupted + 1]
    assert "staged: scorer.tritonops-canary (staged)" in result.output


def test_history_as_json_carries_every_state(tmp_path: Path) -> None:
    import json

    history.append(tmp_path, history.DeployRecord("remote", "in-progress", deploy_id="a",
                                                  staged=("m.tritonops-canary",)))  # fmt: skip
    args = ["history", "-f", str(tmp_path / "tritonops.yaml"), "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [deploy] = json.loads(result.output)["deploys"]
    assert deploy["outcome"] == "interrupted"
    assert deploy["staged"] == ["m.tritonops-canary"]

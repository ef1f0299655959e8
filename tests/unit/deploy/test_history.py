"""The deploy history: in-progress records settle into their final outcome or "interrupted"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tritonops.deploy import history
from tritonops.errors import DeployError


def _record(outcome: history.Outcome, deploy_id: str, **extra: object) -> history.DeployRecord:
    return history.DeployRecord("remote", outcome, endpoint="h:8000", deploy_id=deploy_id, **extra)  # type: ignore[arg-type]


def test_final_record_replaces_its_in_progress_one(tmp_path: Path) -> None:
    history.append(tmp_path, _record("in-progress", "a"))
    history.append(tmp_path, _record("success", "a"))

    assert [(r.deploy_id, r.outcome) for r in history.read(tmp_path)] == [("a", "success")]


def test_in_progress_without_a_final_record_reads_as_interrupted(tmp_path: Path) -> None:
    history.append(tmp_path, _record("in-progress", "a", staged=("m.tritonops-canary",)))
    history.append(tmp_path, _record("in-progress", "b"))
    history.append(tmp_path, _record("rolled-back", "b"))

    records = history.read(tmp_path)

    assert [(r.deploy_id, r.outcome) for r in records] == [
        ("a", "interrupted"),
        ("b", "rolled-back"),
    ]
    assert records[0].staged == ("m.tritonops-canary",)


def test_older_records_without_an_id_still_read(tmp_path: Path) -> None:
    path = history.history_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(
        '{"target": "remote", "outcome": "success", "models": [], "endpoint": "h", '
        '"detail": "", "time": "2026-01-01T00:00:00+00:00"}\n'
    )

    assert [r.outcome for r in history.read(tmp_path)] == ["success"]


def test_an_unknown_outcome_is_a_located_error(tmp_path: Path) -> None:
    path = history.history_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"target": "remote", "outcome": "exploded", "time": "t"}\n')

    with pytest.raises(DeployError, match=r"history.jsonl:1: not a deploy record .*exploded"):
        history.read(tmp_path)

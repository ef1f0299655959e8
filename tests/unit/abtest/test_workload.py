"""Workloads from npz, jsonl and a model config; correctness against labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tritonops.abtest.workload import (
    config_from_served,
    from_jsonl,
    from_npz,
    is_correct,
    synthesize,
)
from tritonops.errors import ExperimentError

SERVED = {"name": "m", "max_batch_size": 8,
          "input": [{"name": "x", "data_type": "TYPE_FP32", "dims": [4]}]}  # fmt: skip


def test_npz_rows_become_batched_requests_with_labels(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=np.arange(12, dtype=np.float32).reshape(3, 4), y=np.array([0, 1, 2]))
    work = from_npz(path, labels="y", seed=1)
    assert len(work) == 3
    assert work.labelled
    assert work.items[1].inputs["x"].shape == (1, 4)
    assert work.items[2].label == 2
    assert work.item(4) is work.items[1]
    assert [i.key for i in work.items] == [i.key for i in from_npz(path, labels="y", seed=1).items]


def test_npz_missing_labels_names_the_arrays(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((2, 4)))
    with pytest.raises(ExperimentError, match="no array 'y'"):
        from_npz(path, labels="y")


def test_jsonl_lines_with_label_and_user(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    lines = [{"x": [1, 2, 3, 4], "label": 1, "user_id": "u1"}, {"x": [0, 0, 0, 1], "label": 3}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    work = from_jsonl(path, labels="label", sticky_key="user_id",
                      dtypes={"x": np.dtype(np.float32)})  # fmt: skip
    assert len(work) == 2
    assert work.items[0].key == "u1"
    assert work.items[0].inputs["x"].dtype == np.float32
    assert work.items[0].inputs["x"].shape == (1, 4)
    assert "user_id" not in work.items[0].inputs
    assert work.items[1].label == 3


def test_jsonl_bad_line_is_located(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"x": [1]}\nnot json\n')
    with pytest.raises(ExperimentError, match=r"d.jsonl:2: not JSON"):
        from_jsonl(path)


def test_synthesized_from_the_served_config() -> None:
    work = synthesize(config_from_served(SERVED), 10, seed=3)
    assert len(work) == 10
    assert not work.labelled
    assert work.items[0].inputs["x"].shape == (1, 4)
    assert work.items[0].inputs["x"].dtype == np.float32
    assert work.source == "synthesized:m"


def test_correctness_by_argmax_or_value() -> None:
    assert is_correct({"p": np.array([[0.1, 0.7, 0.2]])}, 1)
    assert not is_correct({"p": np.array([[0.1, 0.7, 0.2]])}, 2)
    assert is_correct({"c": np.array([[b"cat"]], dtype=object)}, "cat")
    assert not is_correct({}, 1)

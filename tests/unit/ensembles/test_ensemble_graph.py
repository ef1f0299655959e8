"""The ensemble graph on signatures alone: no files involved."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tritonops.ensembles import (
    IssueKind,
    ModelSig,
    StepSig,
    TensorSig,
    check_ensemble,
    check_ensemble_cycles,
    signature_from_proto,
)
from tritonops.model_config import parse_text

F32 = "TYPE_FP32"


def t(
    name: str, dims: tuple[int, ...] = (4,), dtype: str = F32, optional: bool = False
) -> TensorSig:
    return TensorSig(name, dtype, dims, optional=optional)


def model(
    name: str, mbs: int = 8, inputs: tuple[TensorSig, ...] = (), outputs: tuple[TensorSig, ...] = ()
) -> ModelSig:
    return ModelSig(
        name, mbs, inputs or (t("IN"),), outputs or (t("OUT"),), versions=frozenset({1})
    )


def step(name: str, inp: dict[str, str], out: dict[str, str], version: int = -1) -> StepSig:
    return StepSig(name, version, tuple(inp.items()), tuple(out.items()))


def ens(
    *steps: StepSig,
    mbs: int = 8,
    inputs: tuple[TensorSig, ...] = (),
    outputs: tuple[TensorSig, ...] = (),
) -> ModelSig:
    return ModelSig("e", mbs, inputs or (t("X"),), outputs or (t("Y"),), steps=steps)


CHAIN = (step("a", {"IN": "X"}, {"OUT": "mid"}), step("b", {"IN": "mid"}, {"OUT": "Y"}))
MODELS: dict[str, ModelSig | None] = {"a": model("a"), "b": model("b")}


def kinds(ensemble: ModelSig, models: Mapping[str, ModelSig | None] = MODELS) -> set[IssueKind]:
    return {i.kind for i in check_ensemble(ensemble, {**models, "e": ensemble})}


def test_valid_chain_has_no_issue() -> None:
    assert kinds(ens(*CHAIN)) == set()


@pytest.mark.parametrize(
    ("ensemble", "expected"),
    [
        (ens(), IssueKind.NO_STEPS),
        (
            ens(step("a", {}, {"OUT": "Y"}), step("b", {"IN": "X"}, {"OUT": "z"})),
            IssueKind.STEP_INCOMPLETE,
        ),
        (ens(step("zz", {"IN": "X"}, {"OUT": "Y"})), IssueKind.UNKNOWN_MODEL),
        (
            ens(step("a", {"IN": "X"}, {"OUT": "Y"}), step("b", {"IN": "X"}, {"OUT": "Y"})),
            IssueKind.PRODUCED_TWICE,
        ),
        (
            ens(step("a", {"IN": "X"}, {"OUT": "mid"}), step("b", {"IN": "mdi"}, {"OUT": "Y"})),
            IssueKind.NOT_PRODUCED,
        ),
        (
            ens(step("a", {"IN": "X"}, {"OUT": "mid"}), step("b", {"IN": "mdi"}, {"OUT": "Y"})),
            IssueKind.TENSOR_UNUSED,
        ),
        (ens(*CHAIN, inputs=(t("X"), t("unused"))), IssueKind.INPUT_UNUSED),
        (ens(*CHAIN, outputs=(t("Y"), t("Z"))), IssueKind.OUTPUT_UNWRITTEN),
        (
            ens(
                step("a", {"IN": "X"}, {"OUT": "p"}),
                step("b", {"IN": "p"}, {"OUT": "q"}),
                step("a", {"IN": "q"}, {"OUT": "Y"}),
                step("b", {"IN": "r"}, {"OUT": "r"}),
            ),
            IssueKind.DATA_CYCLE,
        ),
        (ens(step("a", {"IN": "X", "EXTRA": "X"}, {"OUT": "Y"})), IssueKind.UNKNOWN_INPUT),
        (ens(step("a", {"IN": "X"}, {"NOPE": "Y"})), IssueKind.UNKNOWN_OUTPUT),
        (
            ens(
                step("a", {"IN": "X"}, {"OUT": "Y"}),
                step("b", {"IN": "X"}, {"OUT": "W"}),
                outputs=(t("Y"), t("W", (5,))),
            ),
            IssueKind.SHAPE_MISMATCH,
        ),
        (ens(*CHAIN, outputs=(t("Y", dtype="TYPE_INT8"),)), IssueKind.DTYPE_MISMATCH),
        (ens(*CHAIN, inputs=(t("X", (-1,)),)), IssueKind.SHAPE_LOOSE),
        (ens(*CHAIN, mbs=16), IssueKind.BATCH_SIZE),
        (
            ens(
                step("a", {"IN": "X"}, {"OUT": "mid"}, version=3),
                step("b", {"IN": "mid"}, {"OUT": "Y"}),
            ),
            IssueKind.MISSING_VERSION,
        ),
    ],
)
def test_each_defect_is_found(ensemble: ModelSig, expected: IssueKind) -> None:
    assert expected in kinds(ensemble)


def test_step_input_left_unmapped_unless_optional() -> None:
    two = {"a": model("a", inputs=(t("IN"), t("B"))), "b": model("b")}
    assert IssueKind.UNMAPPED_INPUT in kinds(ens(*CHAIN), two)
    optional = {"a": model("a", inputs=(t("IN"), t("B", optional=True))), "b": model("b")}
    assert kinds(ens(*CHAIN), optional) == set()


def test_non_batching_step_spells_the_batch_dim() -> None:
    flat = {
        "a": model("a", mbs=0, inputs=(t("IN", (-1, 4)),), outputs=(t("OUT", (-1, 4)),)),
        "b": model("b"),
    }
    assert kinds(ens(*CHAIN), flat) == set()


def test_reshaped_ensemble_io_is_compared_by_reshape() -> None:
    reshaped = TensorSig("X", F32, (2, 2), reshape=(4,))
    assert kinds(ens(*CHAIN, inputs=(reshaped,))) == set()


def test_auto_complete_step_skips_io_checks() -> None:
    unknown = {"a": ModelSig("a", io_known=False), "b": model("b")}
    assert kinds(ens(*CHAIN), unknown) == set()


def test_broken_step_model_is_skipped_not_reported_as_missing() -> None:
    assert kinds(ens(*CHAIN), {"a": None, "b": model("b")}) == set()


def test_cycle_between_ensembles_reported_on_each() -> None:
    one = ModelSig("one", 8, (t("X"),), (t("Y"),), steps=(step("two", {"X": "X"}, {"Y": "Y"}),))
    two = ModelSig("two", 8, (t("X"),), (t("Y"),), steps=(step("one", {"X": "X"}, {"Y": "Y"}),))
    issues = check_ensemble_cycles({"one": one, "two": two, "a": model("a")})
    assert sorted(i.ensemble for i in issues) == ["one", "two"]
    assert all(i.kind is IssueKind.ENSEMBLE_CYCLE for i in issues)
    assert "one -> two -> one" in issues[0].message


def test_acyclic_nested_ensembles_pass() -> None:
    inner = ModelSig(
        "inner", 8, (t("IN"),), (t("OUT"),), steps=(step("a", {"IN": "IN"}, {"OUT": "OUT"}),)
    )
    outer = ModelSig(
        "outer", 8, (t("X"),), (t("Y"),), steps=(step("inner", {"IN": "X"}, {"OUT": "Y"}),)
    )
    models: dict[str, ModelSig | None] = {"inner": inner, "outer": outer, "a": model("a")}
    assert check_ensemble_cycles(models) == []
    assert check_ensemble(outer, models) == []


def test_signature_from_proto_reads_steps_and_io() -> None:
    message = parse_text(
        'name: "e" platform: "ensemble" max_batch_size: 4\n'
        'input [ { name: "X" data_type: TYPE_FP32 dims: [ 2, 2 ] reshape { shape: [ 4 ] } } ]\n'
        'output [ { name: "Y" data_type: TYPE_INT64 dims: [ -1 ] } ]\n'
        'ensemble_scheduling { step [ { model_name: "a" model_version: 2 '
        'input_map { key: "IN" value: "X" } output_map { key: "OUT" value: "Y" } } ] }\n'
    )
    sig = signature_from_proto(message, frozenset({1}))
    assert sig.is_ensemble
    assert sig.inputs[0] == TensorSig("X", F32, (2, 2), reshape=(4,))
    assert sig.outputs[0].data_type == "TYPE_INT64"
    assert sig.steps == (StepSig("a", 2, (("IN", "X"),), (("OUT", "Y"),)),)
    assert sig.versions == frozenset({1})


def test_issue_paths_point_into_the_config() -> None:
    issues = check_ensemble(ens(step("zz", {"IN": "X"}, {"OUT": "Y"})), MODELS)
    assert [i.path for i in issues] == ["ensemble_scheduling.step[0].model_name"]

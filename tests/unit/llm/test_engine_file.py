"""The stand-in engine file: what it carries, and the folders it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tritonops.llm import engine_file
from tritonops.llm.engine import TinyDecoder

ENGINE = engine_file.StandinEngine(
    decoder={"vocab_size": 49, "hidden_size": 64, "max_position_embeddings": 64},
    seed=5,
    limits={"max_batch_size": 4, "max_input_len": 32, "max_seq_len": 64, "max_beam_width": 1},
    checkpoint="tiny",
)


def test_a_written_engine_reads_back_and_builds_its_decoder(tmp_path: Path) -> None:
    (tmp_path / engine_file.FILE_NAME).write_text(ENGINE.to_json())
    read = engine_file.read(tmp_path)
    assert read == ENGINE
    decoder = TinyDecoder(read.decoder, read.seed)
    assert decoder.shape.vocab_size == 49


def test_a_real_engine_folder_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "rank0.engine").write_bytes(b"\0")
    with pytest.raises(engine_file.EngineFileError, match="holds a real TensorRT-LLM engine") as e:
        engine_file.read(tmp_path)
    assert "config.json, rank0.engine" in str(e.value)
    assert "NVIDIA's Triton TensorRT-LLM container" in str(e.value)


def test_an_empty_or_absent_folder_says_how_to_lay_the_engine(tmp_path: Path) -> None:
    with pytest.raises(engine_file.EngineFileError, match="build --dry-run"):
        engine_file.read(tmp_path)
    with pytest.raises(engine_file.EngineFileError, match="does not exist"):
        engine_file.read(tmp_path / "missing")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "cannot be read as JSON"),
        ('{"format": "other"}', "is not a tritonops-standin-engine file"),
        ('{"format": "tritonops-standin-engine", "version": 9}', "is version 9"),
        (
            '{"format": "tritonops-standin-engine", "version": 1, "decoder": {"a": "b"}, '
            '"limits": {}, "seed": 1}',
            "must map names to integers",
        ),
    ],
)
def test_a_damaged_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / engine_file.FILE_NAME).write_text(text)
    with pytest.raises(engine_file.EngineFileError, match=message):
        engine_file.read(tmp_path)


def test_limits_must_all_be_there(tmp_path: Path) -> None:
    data = json.loads(ENGINE.to_json())
    del data["limits"]["max_input_len"]
    (tmp_path / engine_file.FILE_NAME).write_text(json.dumps(data))
    with pytest.raises(engine_file.EngineFileError, match="limits lack max_input_len"):
        engine_file.read(tmp_path)


def test_the_vocabulary_follows_a_smaller_tokenizer() -> None:
    assert engine_file.decoder_config({"vocab_size": 32000}, 49)["vocab_size"] == 49
    assert engine_file.decoder_config({"vocab_size": 100}, 400)["vocab_size"] == 100
    assert engine_file.decoder_config({}, None)["vocab_size"] == 256
    assert engine_file.decoder_config({"vocab_size": 32000}, None)["hidden_size"] == 64

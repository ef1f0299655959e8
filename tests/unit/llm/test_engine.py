"""TinyDecoder: deterministic tokens, real per-token work, and the request options it honours."""

from __future__ import annotations

import pytest

from tritonops.llm.engine import DecoderShape, EngineInputError, TinyDecoder

CONFIG = {"vocab_size": 49, "hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 64}
PROMPT = [1, 5, 9, 10, 3]


@pytest.fixture(scope="module")
def decoder() -> TinyDecoder:
    return TinyDecoder(CONFIG, seed=11)


def test_same_config_and_seed_give_the_same_tokens_and_log_probs(decoder: TinyDecoder) -> None:
    twin = TinyDecoder(dict(CONFIG), seed=11)
    first = decoder.generate(PROMPT, 12)
    second = twin.generate(PROMPT, 12)
    assert list(first) == list(second)
    assert first.log_probs == second.log_probs
    assert len(first.log_probs) == 12


def test_another_seed_gives_other_weights_and_other_tokens(decoder: TinyDecoder) -> None:
    other = TinyDecoder(CONFIG, seed=12)
    assert list(decoder.generate(PROMPT, 12)) != list(other.generate(PROMPT, 12))


def test_sampling_repeats_with_its_seed_and_differs_from_greedy(decoder: TinyDecoder) -> None:
    def sampled(seed: int) -> list[int]:
        return list(decoder.generate(PROMPT, 16, top_k=20, temperature=1.5, seed=seed))

    assert sampled(3) == sampled(3)
    assert sampled(3) != sampled(4) or sampled(3) != sampled(5)
    assert sampled(3) != list(decoder.generate(PROMPT, 16))


def test_prefill_cost_grows_with_the_prompt_and_decode_cost_with_each_token(
    decoder: TinyDecoder,
) -> None:
    costs = []
    for length in (4, 32, 256):
        stream = decoder.generate([7] * length, 3)
        next(stream)  # the first token costs the prefill alone
        assert stream.decode_flops == 0
        costs.append(stream.prefill_flops)
        list(stream)
        assert stream.decode_flops == sum(
            decoder.step_flops(1, length + i) for i in range(2)
        )  # one KV-cached step per later token
    assert costs[0] < costs[1] < costs[2]
    # the matrix products grow at least linearly with the prompt
    assert costs[2] >= 8 * costs[1] * 0.9


def test_decode_steps_reuse_the_cache_instead_of_rerunning_the_prompt(
    decoder: TinyDecoder,
) -> None:
    stream = decoder.generate([7] * 64, 5)
    tokens = list(stream)
    assert len(tokens) == 5
    assert stream.decode_flops < stream.prefill_flops  # four one-token steps cost less than 64


def test_end_id_stops_without_being_yielded_and_min_tokens_holds_it_back(
    decoder: TinyDecoder,
) -> None:
    greedy = list(decoder.generate(PROMPT, 10))
    end = greedy[3]
    stopped = decoder.generate(PROMPT, 10, end_id=end)
    assert list(stopped) == greedy[: greedy.index(end)]
    assert stopped.finish_reason == "end_id"
    held = list(decoder.generate(PROMPT, 10, end_id=end, min_tokens=10))
    assert len(held) == 10
    assert end not in held


def test_stop_words_end_the_stream_after_the_word(decoder: TinyDecoder) -> None:
    greedy = list(decoder.generate(PROMPT, 10))
    word = greedy[2:4]
    stream = decoder.generate(PROMPT, 10, stop_words=[word])
    assert list(stream) == greedy[:4]
    assert stream.finish_reason == "stop_words"


def test_bad_words_are_never_chosen(decoder: TinyDecoder) -> None:
    greedy = list(decoder.generate(PROMPT, 10))
    banned = greedy[0]
    out = list(decoder.generate(PROMPT, 10, bad_words=[[banned]]))
    assert banned not in out
    assert len(out) == 10


def test_logits_are_kept_only_when_asked(decoder: TinyDecoder) -> None:
    plain = decoder.generate(PROMPT, 3)
    list(plain)
    assert plain.context_logits is None
    assert plain.generation_logits == []
    kept = decoder.generate(PROMPT, 3, keep_context_logits=True, keep_generation_logits=True)
    list(kept)
    assert kept.context_logits is not None
    assert kept.context_logits.shape == (len(PROMPT), 49)
    assert len(kept.generation_logits) == 3


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"hidden_size": 30, "num_attention_heads": 4}, "multiple of num_attention_heads"),
        ({"vocab_size": 0}, "vocab_size must be a positive integer"),
        ({"num_hidden_layers": "2"}, "num_hidden_layers must be a positive integer"),
        ({"hidden_size": 1 << 16, "vocab_size": 1 << 12}, "this CPU decoder allows"),
    ],
)
def test_impossible_shapes_are_refused(config: dict[str, object], message: str) -> None:
    with pytest.raises(EngineInputError, match=message):
        DecoderShape.from_config(config)


@pytest.mark.parametrize(
    ("prompt", "new", "message"),
    [
        ([], 4, "input_ids is empty"),
        ([1, 49], 4, "token id 49 outside the vocabulary 0..48"),
        ([1, 2], 600, "exceeds the decoder's 512 positions"),
        ([1, 2], -1, "max_new_tokens must be >= 0"),
    ],
)
def test_impossible_requests_are_refused(
    decoder: TinyDecoder, prompt: list[int], new: int, message: str
) -> None:
    with pytest.raises(EngineInputError, match=message):
        decoder.generate(prompt, new)


def test_defaults_make_a_small_decoder() -> None:
    shape = TinyDecoder().shape
    assert (shape.vocab_size, shape.hidden_size, shape.num_hidden_layers) == (256, 64, 2)

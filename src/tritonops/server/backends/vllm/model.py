"""A python-based Triton backend named ``vllm``: the vLLM backend's contract over ``TinyDecoder``.

Every config with ``backend: "vllm"`` loads through this file on the embedded tritonserver, so a
repository rendered for Triton's vLLM backend (config.pbtxt + ``<version>/model.json``) runs here
unchanged, on a small seeded decoder instead of vLLM. What it keeps from the real backend
(github.com/triton-inference-server/vllm_backend, ``src/model.py`` and ``src/utils``):

- the model must be decoupled; model.json must sit in the version folder and every key in it must
  be an engine argument (vLLM's ``AsyncEngineArgs(**json)`` fails on any other);
- inputs ``text_input``, ``stream``, ``sampling_parameters`` (JSON; the request's parameters when
  absent), ``exclude_input_in_output`` and the ``return_*`` switches; output ``text_output``;
- streaming sends one response per generated token, the last one with the final flag; otherwise
  one response with the whole text, after the prompt unless ``exclude_input_in_output``;
- a cancelled request stops generating and ends with a CANCELLED error response.

It runs inside the python backend stub, with this folder on ``sys.path``.
"""

from __future__ import annotations

import json
import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import triton_python_backend_utils as pb_utils

if TYPE_CHECKING:
    from tritonops.llm.vllm_contract import (
        EOS_ID,
        ContractError,
        Sampling,
        StopText,
        decode_token,
        decoder_config,
        encode,
        engine_problem,
        parse_sampling,
        prepend_input,
        read_engine_args,
    )
else:
    from vllm_contract import (
        EOS_ID,
        ContractError,
        Sampling,
        StopText,
        decode_token,
        decoder_config,
        encode,
        engine_problem,
        parse_sampling,
        prepend_input,
        read_engine_args,
    )

if TYPE_CHECKING:
    from tritonops.llm.engine import EngineInputError, TinyDecoder
else:  # tritonops' engine module, copied beside this file by the backend-directory setup
    from engine import EngineInputError, TinyDecoder


def _input(request: Any, name: str) -> Any:
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy()


def _flag(request: Any, name: str) -> bool | None:
    value = _input(request, name)
    return None if value is None else bool(value.reshape(-1)[0])


class TritonPythonModel:
    def initialize(self, args: dict[str, Any]) -> None:
        config = json.loads(args["model_config"])
        if not pb_utils.using_decoupled_model_transaction_policy(config):
            raise pb_utils.TritonModelException(
                "vLLM Triton backend must be configured to use decoupled model transaction policy"
            )
        version_dir = os.path.join(args["model_repository"], args["model_version"])
        try:
            engine_args = read_engine_args(version_dir)
        except ContractError as exc:
            raise pb_utils.TritonModelException(str(exc)) from None
        problem = engine_problem(engine_args)
        if problem is not None:
            raise pb_utils.TritonModelException(problem)
        shape, seed = decoder_config(engine_args, version_dir)
        self.decoder = TinyDecoder(shape, seed=seed)
        self.max_model_len = shape["max_position_embeddings"]
        self.logger = pb_utils.Logger
        self.workers: set[threading.Thread] = set()
        self.lock = threading.Lock()

    def execute(self, requests: list[Any]) -> None:
        # decoupled: every request answers from its own thread, so a long generation never holds
        # back the next request (vLLM's engine likewise runs requests side by side)
        for request in requests:
            worker = threading.Thread(target=self._serve, args=(request,), daemon=True)
            with self.lock:
                self.workers.add(worker)
            worker.start()
        return None

    def _serve(self, request: Any) -> None:
        sender = request.get_response_sender()
        try:
            self._generate(request, sender)
        except (ContractError, EngineInputError) as exc:
            self._fail(sender, f"Error generating stream: {exc}")
        except Exception as exc:
            self._fail(sender, f"Error generating stream: {type(exc).__name__}: {exc}")
        finally:
            with self.lock:
                self.workers.discard(threading.current_thread())

    @staticmethod
    def _fail(sender: Any, message: str) -> None:
        response = pb_utils.InferenceResponse(
            output_tensors=[pb_utils.Tensor("text_output", np.array([b"N/A"], dtype=np.object_))],
            error=pb_utils.TritonError(message),
        )
        sender.send(response, flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL)

    def _generate(self, request: Any, sender: Any) -> None:
        text = _input(request, "text_input")
        if text is None:
            raise ContractError("text_input is required")
        first = text.reshape(-1)[0]
        prompt = first.decode("utf-8") if isinstance(first, bytes) else str(first)
        stream = bool(_flag(request, "stream"))
        prepend = prepend_input(_flag(request, "exclude_input_in_output"), stream)
        params = _input(request, "sampling_parameters")
        if params is not None:
            raw = params.reshape(-1)[0]
            sampling = parse_sampling(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))
        else:
            sampling = parse_sampling(request.parameters())
        wants = {
            name: bool(_flag(request, name))
            for name in (
                "return_finish_reason",
                "return_num_input_tokens",
                "return_num_output_tokens",
            )
        }
        ids = encode(prompt, self.decoder.shape.vocab_size)
        budget = min(sampling.max_tokens, self.max_model_len - len(ids))
        if budget < 1:
            raise ContractError(
                f"the prompt is {len(ids)} tokens; with max_model_len {self.max_model_len} no "
                "token is left to generate — shorten the prompt or raise max_model_len"
            )
        tokens = self.decoder.generate(
            ids,
            budget,
            end_id=None if sampling.ignore_eos else EOS_ID,
            **_decoder_sampling(sampling, self.decoder.shape.vocab_size),
        )
        stops = StopText(sampling.stop)
        pieces: list[str] = []
        count = 0
        reason = "length"
        pending: tuple[str, int] | None = None  # streaming: hold one piece to flag the last one
        for token in tokens:
            if sender.is_cancelled():
                self.logger.log_info(f"[vllm] Cancelling the request after {count} token(s)")
                sender.send(
                    pb_utils.InferenceResponse(
                        error=pb_utils.TritonError(
                            "Request was cancelled", pb_utils.TritonError.CANCELLED
                        )
                    ),
                    flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL,
                )
                return
            count += 1
            piece, stopped = stops.add(decode_token(token))
            pieces.append(piece)
            if stream:
                if pending is not None:
                    sender.send(self._response(pending[0], wants, len(ids), pending[1], None))
                pending = (piece, 1)
            if stopped:
                reason = "stop"
                break
        else:
            if count < budget:
                reason = "stop"  # the end token ended it
        if stream:
            last, n = pending if pending is not None else ("", 0)
            sender.send(
                self._response(last, wants, len(ids), n, reason),
                flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL,
            )
            return
        body = (prompt if prepend else "") + "".join(pieces)
        sender.send(
            self._response(body, wants, len(ids), count, reason),
            flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL,
        )

    @staticmethod
    def _response(
        text: str, wants: dict[str, bool], n_input: int, n_output: int, reason: str | None
    ) -> Any:
        outputs = [
            pb_utils.Tensor("text_output", np.array([text.encode("utf-8")], dtype=np.object_))
        ]
        if wants["return_finish_reason"]:
            shown = str(reason)  # vLLM writes None while the request is still running
            outputs.append(pb_utils.Tensor("finish_reason", np.array([shown], dtype=np.object_)))
        if wants["return_num_input_tokens"]:
            outputs.append(
                pb_utils.Tensor("num_input_tokens", np.array([n_input], dtype=np.uint32))
            )
        if wants["return_num_output_tokens"]:
            outputs.append(
                pb_utils.Tensor("num_output_tokens", np.array([n_output], dtype=np.uint32))
            )
        return pb_utils.InferenceResponse(output_tensors=outputs)

    def finalize(self) -> None:
        with self.lock:
            workers = list(self.workers)
        for worker in workers:  # let running requests finish, as the real backend waits for them
            worker.join(timeout=30)


def _decoder_sampling(s: Sampling, vocab: int) -> dict[str, Any]:
    """vLLM's sampling in the decoder's words: greedy at temperature 0; otherwise sampling over the
    whole vocabulary unless top_k/top_p narrow it."""
    if s.greedy:
        return {
            "temperature": 1.0,
            "top_k": 0,
            "top_p": 0.0,
            "seed": s.seed or 0,
            "min_tokens": s.min_tokens,
        }
    top_k = s.top_k if s.top_k > 0 else vocab
    top_p = s.top_p if s.top_p < 1 else 0.0
    return {
        "temperature": s.temperature,
        "top_k": top_k,
        "top_p": top_p,
        "seed": s.seed if s.seed is not None else 0,
        "min_tokens": s.min_tokens,
    }

"""The TensorRT-LLM pipeline driven from Python (BLS): preprocessing, the engine, postprocessing.

Runs in Triton's python backend and takes the ensemble's inputs and outputs. Model names and the
tensor names of each hop come from this model's parameters (``tensor_map``, written by tritonops
from the same tables as the ensemble), so the two never disagree. In a decoupled deployment each
engine response is detokenized and sent as it arrives when the request sets ``stream``.
"""

import json

import numpy as np
import triton_python_backend_utils as pb_utils


def parameter(config, key, default):
    value = config.get("parameters", {}).get(key, {}).get("string_value", "")
    return default if not value or value.startswith("${") else value


def checked(response, model):
    if response.has_error():
        raise pb_utils.TritonModelException(f"{model}: {response.error().message()}")
    return response


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.decoupled = pb_utils.using_decoupled_model_transaction_policy(config)
        self.pre_model = parameter(config, "preprocessing_model_name", "preprocessing")
        self.engine_model = parameter(config, "tensorrt_llm_model_name", "tensorrt_llm")
        self.post_model = parameter(config, "postprocessing_model_name", "postprocessing")
        self.accumulate = parameter(config, "accumulate_tokens", "false").lower() == "true"
        tables = json.loads(parameter(config, "tensor_map", "{}"))
        # public input -> preprocessing input; preprocessing output -> engine input;
        # public input -> engine input; engine outputs passed through unchanged
        self.pre_inputs = tables["preprocessing_inputs"]
        self.pre_to_engine = tables["preprocessing_to_engine"]
        self.options = tables["engine_options"]
        self.passed = tables["passed_outputs"]

    def execute(self, requests):
        responses = []
        for request in requests:
            sender = request.get_response_sender() if self.decoupled else None
            try:
                result = self.generate(request, sender)
            except Exception as exc:  # report the failure on this request only
                result = pb_utils.InferenceResponse(
                    output_tensors=[], error=pb_utils.TritonError(f"bls: {exc}")
                )
                if sender is not None:
                    sender.send(result)
            if sender is not None:
                sender.send(flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL)
            else:
                responses.append(result)
        return None if self.decoupled else responses

    def forward(self, request, mapping):
        tensors = []
        for public, inner in mapping.items():
            tensor = pb_utils.get_input_tensor_by_name(request, public)
            if tensor is not None:
                tensors.append(pb_utils.Tensor(inner, tensor.as_numpy()))
        return tensors

    def generate(self, request, sender):
        pre = pb_utils.InferenceRequest(
            model_name=self.pre_model,
            inputs=self.forward(request, self.pre_inputs),
            requested_output_names=list(self.pre_to_engine),
        )
        pre_response = checked(pre.exec(), self.pre_model)
        inputs = [
            pb_utils.Tensor(
                engine_name, pb_utils.get_output_tensor_by_name(pre_response, name).as_numpy()
            )
            for name, engine_name in self.pre_to_engine.items()
        ]
        inputs += self.forward(request, self.options)
        engine = pb_utils.InferenceRequest(
            model_name=self.engine_model,
            inputs=inputs,
            requested_output_names=["output_ids", "sequence_length", *self.passed],
        )
        if not self.decoupled:
            response = checked(engine.exec(), self.engine_model)
            return self.respond(response, *self.tokens(response))
        stream = self.streams(request)
        so_far = None
        pending = None
        for response in engine.exec(decoupled=True):
            checked(response, self.engine_model)
            if pb_utils.get_output_tensor_by_name(response, "output_ids") is None:
                continue  # the engine's empty final response
            ids, lengths = self.tokens(response)
            if self.accumulate and so_far is not None:
                # detokenize everything so far: tokenizers that merge pieces need the context
                ids = np.concatenate([so_far[0], ids], axis=-1)
                lengths = so_far[1] + lengths
            so_far = (ids, lengths)
            pending = self.respond(response, ids, lengths)
            if stream:
                sender.send(pending)
                pending = None
        if pending is not None:
            sender.send(pending)
        return None

    def tokens(self, response):
        ids = pb_utils.get_output_tensor_by_name(response, "output_ids").as_numpy()
        lengths = pb_utils.get_output_tensor_by_name(response, "sequence_length").as_numpy()
        return ids, lengths

    def streams(self, request):
        tensor = pb_utils.get_input_tensor_by_name(request, "stream")
        return tensor is not None and bool(tensor.as_numpy().any())

    def respond(self, engine_response, ids, lengths):
        post = pb_utils.InferenceRequest(
            model_name=self.post_model,
            inputs=[
                pb_utils.Tensor("TOKENS_BATCH", ids.astype(np.int32)),
                pb_utils.Tensor("SEQUENCE_LENGTH", lengths.astype(np.int32)),
            ],
            requested_output_names=["OUTPUT"],
        )
        text = pb_utils.get_output_tensor_by_name(checked(post.exec(), self.post_model), "OUTPUT")
        tensors = [pb_utils.Tensor("text_output", text.as_numpy())]
        for name in self.passed:
            tensor = pb_utils.get_output_tensor_by_name(engine_response, name)
            if tensor is not None:
                tensors.append(pb_utils.Tensor(name, tensor.as_numpy()))
        return pb_utils.InferenceResponse(output_tensors=tensors)

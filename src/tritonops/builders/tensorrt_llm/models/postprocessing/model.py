"""Postprocessing of the TensorRT-LLM ensemble: output token ids back to text.

Runs in Triton's python backend. Parameters: ``tokenizer_dir`` (relative paths are inside this
version's folder) and ``skip_special_tokens``.
"""

import importlib.util
import json
import os

import numpy as np
import triton_python_backend_utils as pb_utils


def load_tokenizer(folder):
    """transformers' AutoTokenizer, or the word-level reader beside this file without it."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "local_tokenizer.py")
    spec = importlib.util.spec_from_file_location("local_tokenizer", here)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load(folder)


def parameter(config, key, default):
    value = config.get("parameters", {}).get(key, {}).get("string_value", "")
    return default if not value or value.startswith("${") else value


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        folder = parameter(config, "tokenizer_dir", "tokenizer")
        if not os.path.isabs(folder):
            # relative to this version's folder, where tritonops copies the tokenizer
            folder = os.path.join(args["model_repository"], args["model_version"], folder)
        self.skip_special = parameter(config, "skip_special_tokens", "true").lower() == "true"
        self.tokenizer = load_tokenizer(folder)

    def execute(self, requests):
        responses = []
        for request in requests:
            try:
                responses.append(self.detokenize(request))
            except Exception as exc:  # one bad request must not fail the others in the batch
                error = pb_utils.TritonError(f"postprocessing: {exc}")
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=error))
        return responses

    def detokenize(self, request):
        # output_ids: [batch, beams, tokens]; sequence_length: [batch, beams]
        tokens = pb_utils.get_input_tensor_by_name(request, "TOKENS_BATCH").as_numpy()
        lengths = pb_utils.get_input_tensor_by_name(request, "SEQUENCE_LENGTH").as_numpy()
        if tokens.ndim == 2:  # a single beam may arrive without its beam axis
            tokens = tokens[:, np.newaxis, :]
            lengths = lengths.reshape(tokens.shape[0], 1)
        texts = []
        for batch_index in range(tokens.shape[0]):
            beams = []
            for beam in range(tokens.shape[1]):
                length = int(lengths[batch_index, beam])
                ids = tokens[batch_index, beam, :length].tolist()
                text = self.tokenizer.decode(ids, skip_special_tokens=self.skip_special)
                beams.append(text.encode("utf-8"))
            texts.append(beams)
        output = np.array(texts, dtype=object)
        return pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("OUTPUT", output)])

    def finalize(self):
        self.tokenizer = None

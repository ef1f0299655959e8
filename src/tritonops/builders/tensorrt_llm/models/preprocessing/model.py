"""Preprocessing of the TensorRT-LLM ensemble: prompt text to token ids, word lists to id lists.

Runs in Triton's python backend. Parameters: ``tokenizer_dir`` (relative paths are inside this
version's folder, where tritonops copies the checkpoint's tokenizer) and ``add_special_tokens``.
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
    # an empty value, or a placeholder someone forgot to fill, means "not set"
    return default if not value or value.startswith("${") else value


def strings(array):
    return [item.decode("utf-8") if isinstance(item, bytes) else str(item) for item in array]


def optional_input(request, name):
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    return None if tensor is None else tensor.as_numpy()


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        folder = parameter(config, "tokenizer_dir", "tokenizer")
        if not os.path.isabs(folder):
            # relative to this version's folder, where tritonops copies the tokenizer
            folder = os.path.join(args["model_repository"], args["model_version"], folder)
        self.add_special_tokens = parameter(config, "add_special_tokens", "true").lower() == "true"
        self.tokenizer = load_tokenizer(folder)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.end_id = self.tokenizer.eos_token_id
        self.pad_id = self.tokenizer.pad_token_id
        self.vocab_size = len(self.tokenizer)

    def execute(self, requests):
        responses = []
        for request in requests:
            try:
                responses.append(self.prepare(request))
            except Exception as exc:  # one bad request must not fail the others in the batch
                error = pb_utils.TritonError(f"preprocessing: {exc}")
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=error))
        return responses

    def prepare(self, request):
        query = pb_utils.get_input_tensor_by_name(request, "QUERY").as_numpy()
        output_len = pb_utils.get_input_tensor_by_name(request, "REQUEST_OUTPUT_LEN").as_numpy()
        batch = query.shape[0]
        prompts = [strings(row)[0] for row in query]
        ids = [
            self.tokenizer.encode(text, add_special_tokens=self.add_special_tokens)
            for text in prompts
        ]
        longest = max(len(seq) for seq in ids)
        # the backend reads input_lengths tokens from the front of each row: pad on the right
        input_ids = np.full((batch, longest), self.pad_id, dtype=np.int32)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
        lengths = np.array([[len(seq)] for seq in ids], dtype=np.int32)

        end_id = optional_input(request, "END_ID")
        pad_id = optional_input(request, "PAD_ID")
        if end_id is None:
            end_id = np.full((batch, 1), self.end_id, dtype=np.int32)
        if pad_id is None:
            pad_id = np.full((batch, 1), self.pad_id, dtype=np.int32)

        tensors = [
            pb_utils.Tensor("INPUT_ID", input_ids),
            pb_utils.Tensor("REQUEST_INPUT_LEN", lengths),
            pb_utils.Tensor("REQUEST_OUTPUT_LEN", output_len.astype(np.int32).reshape(batch, 1)),
            pb_utils.Tensor("BAD_WORDS_IDS", self.word_lists(request, "BAD_WORDS_DICT", batch)),
            pb_utils.Tensor("STOP_WORDS_IDS", self.word_lists(request, "STOP_WORDS_DICT", batch)),
            pb_utils.Tensor("EMBEDDING_BIAS", self.embedding_bias(request, batch)),
            pb_utils.Tensor("OUT_END_ID", end_id.astype(np.int32).reshape(batch, 1)),
            pb_utils.Tensor("OUT_PAD_ID", pad_id.astype(np.int32).reshape(batch, 1)),
        ]
        return pb_utils.InferenceResponse(output_tensors=tensors)

    def word_lists(self, request, name, batch):
        """[batch, 2, L]: row 0 the concatenated ids, row 1 the end offset of each word.

        Padding is 0 for ids and -1 for offsets, which the backend reads as "no more words"; a
        request without words sends one padded column.
        """
        words = optional_input(request, name)
        rows = []
        for index in range(batch):
            listed = [] if words is None else [w for w in strings(words[index]) if w]
            flat, offsets = [], []
            for word in listed:
                flat += self.tokenizer.encode(word, add_special_tokens=False)
                offsets.append(len(flat))
            rows.append((flat, offsets))
        width = max(1, *(len(flat) for flat, _ in rows), *(len(off) for _, off in rows))
        out = np.zeros((batch, 2, width), dtype=np.int32)
        out[:, 1, :] = -1
        for index, (flat, offsets) in enumerate(rows):
            out[index, 0, : len(flat)] = flat
            out[index, 1, : len(offsets)] = offsets
        return out

    def embedding_bias(self, request, batch):
        """[batch, vocab] biases from word/weight pairs, or [batch, 0] when none are given."""
        words = optional_input(request, "EMBEDDING_BIAS_WORDS")
        weights = optional_input(request, "EMBEDDING_BIAS_WEIGHTS")
        if words is None or weights is None:
            return np.empty((batch, 0), dtype=np.float32)
        bias = np.zeros((batch, self.vocab_size), dtype=np.float32)
        for index in range(batch):
            for word, weight in zip(strings(words[index]), weights[index], strict=False):
                if word:
                    for token in self.tokenizer.encode(word, add_special_tokens=False):
                        bias[index, token] += float(weight)
        return bias

    def finalize(self):
        self.tokenizer = None

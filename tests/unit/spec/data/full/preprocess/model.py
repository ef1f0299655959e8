"""Turns raw text into four features (a test model: lengths of the first four words)."""

import numpy as np
import triton_python_backend_utils as pb_utils
from helpers import featurize


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            raw = pb_utils.get_input_tensor_by_name(request, "RAW").as_numpy()
            features = np.stack([featurize(item[0]) for item in raw]).astype(np.float32)
            out = pb_utils.Tensor("FEATURES", features)
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
        return responses

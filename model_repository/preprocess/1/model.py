"""Scale 8x8 digit images (pixel values 0..16) to the classifiers' 0..1 features (Triton python backend)."""

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            pixels = pb_utils.get_input_tensor_by_name(request, "PIXELS").as_numpy()
            features = (pixels.reshape(pixels.shape[0], 64) / 16.0).astype(np.float32)
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("FEATURES", features)]))
        return responses

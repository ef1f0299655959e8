import json

import numpy as np
import triton_python_backend_utils as pb_utils

_NP = {"TYPE_FP32": np.float32, "TYPE_INT32": np.int32, "TYPE_INT64": np.int64}


class TritonPythonModel:
    """Answers every declared output with zeros shaped like the first input (a stand-in model)."""

    def initialize(self, args):
        self.outputs = json.loads(args["model_config"]).get("output", [])

    def execute(self, requests):
        responses = []
        for request in requests:
            first = request.inputs()[0].as_numpy() if request.inputs() else np.zeros(1)
            tensors = [
                pb_utils.Tensor(
                    o["name"], np.zeros(first.shape, _NP.get(o["data_type"], np.float32))
                )
                for o in self.outputs
            ]
            responses.append(pb_utils.InferenceResponse(output_tensors=tensors))
        return responses

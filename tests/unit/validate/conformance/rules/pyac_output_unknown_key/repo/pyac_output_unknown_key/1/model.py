import json

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    """A stand-in whose auto_complete_config passes an output property the backend does not know."""

    @staticmethod
    def auto_complete_config(config):
        config.set_max_batch_size(0)
        config.add_input({"name": "LEFT", "data_type": "TYPE_FP32", "dims": [3]})
        config.add_input({"name": "RIGHT", "data_type": "TYPE_FP32", "dims": [3]})
        config.add_output({"name": "TOTAL", "data_type": "TYPE_FP32", "dims": [3], "optional": True})
        config.add_output({"name": "DELTA", "data_type": "TYPE_FP32", "dims": [3]})
        return config

    def initialize(self, args):
        self.outputs = json.loads(args["model_config"]).get("output", [])

    def execute(self, requests):
        responses = []
        for request in requests:
            first = request.inputs()[0].as_numpy()
            tensors = [pb_utils.Tensor(o["name"], np.zeros_like(first)) for o in self.outputs]
            responses.append(pb_utils.InferenceResponse(output_tensors=tensors))
        return responses

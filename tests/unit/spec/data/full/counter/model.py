"""A stateful test model: adds each request's INPUT to a running total per sequence."""

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.totals = {}

    def execute(self, requests):
        responses = []
        for request in requests:
            corrid = int(pb_utils.get_input_tensor_by_name(request, "CORRID").as_numpy()[0][0])
            start = pb_utils.get_input_tensor_by_name(request, "START").as_numpy()[0][0]
            value = pb_utils.get_input_tensor_by_name(request, "INPUT").as_numpy()
            total = (0 if start else self.totals.get(corrid, 0)) + int(value.sum())
            self.totals[corrid] = total
            out = pb_utils.Tensor("TOTAL", np.asarray([[total]], dtype=np.int32))
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
        return responses

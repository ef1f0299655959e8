import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            state = pb_utils.get_input_tensor_by_name(request, "STATE_IN").as_numpy()
            x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            total = state + x
            outputs = [pb_utils.Tensor("OUTPUT0", total), pb_utils.Tensor("STATE_OUT", total)]
            responses.append(pb_utils.InferenceResponse(outputs))
        return responses

"""LLM serving without a GPU: the tiny deterministic decoder, its engine file, backend contracts.

``engine.TinyDecoder`` is the model; ``engine_file`` reads and writes the small file that
``tritonops build --dry-run`` lays where a real engine would go; ``trtllm_contract`` holds the
tensorrtllm backend's parameter, request and output rules. They need only numpy and the standard
library, because the stand-in backends import them inside Triton's python backend stub (the
backend directory gets a copy of these modules).
"""

from tritonops.llm import engine_file, trtllm_contract, vllm_contract
from tritonops.llm.engine import EngineInputError, Generation, TinyDecoder

__all__ = [
    "EngineInputError",
    "Generation",
    "TinyDecoder",
    "engine_file",
    "trtllm_contract",
    "vllm_contract",
]

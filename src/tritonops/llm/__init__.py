"""LLM engines that run without a GPU: the tiny deterministic decoder and its stand-in engine file.

``engine.TinyDecoder`` is the model; ``engine_file`` reads and writes the small file that
``tritonops build --dry-run`` lays where a real engine would go. Both need only numpy and the
standard library, because the stand-in backends import them inside Triton's python backend stub.
"""

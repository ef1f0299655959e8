"""The Triton boundary: the only code in tritonops that talks to a Triton server.

Modules, one idea each:

- ``dtypes``: the one numpy <-> Triton datatype map (``FP32``, ``BYTES``...).
- ``requests``: tritonclient ``InferInput`` / ``InferRequestedOutput`` built from numpy arrays.
- ``failures``: foreign errors translated once per protocol, by status code (never by text):
  ``tritonclient_errors`` (and ``reraised``, for callers that report rather than branch) for
  tritonclient's HTTP and gRPC clients; ``grpc_messages.rpc_error`` for the raw gRPC stub;
  ``rest.request`` for plain HTTP (any status is a reply, no answer is ``NoAnswer``).
- ``connect``: tritonclient client objects (sync, asyncio, streaming) for one endpoint.
- ``grpc_messages``: KServe v2 messages through tritonclient's generated gRPC stub (hot path).
- ``rest``: plain HTTP to the v2 API (health, readiness, metadata, config, index, statistics,
  repository load/unload) and the metrics page.
- ``served``: the config a server loaded, as a ``ModelConfig``.
- ``probe``: which protocol (HTTP or gRPC) answers at a ``host:port``, over raw sockets.
- ``remote``: repository API and inference against a remote server, with headers and TLS.
- ``exchange``: what one inference carries (``InferRequest``, ``InferResponse``, the fast
  ``Answer``), value types shared with the client SDK above.
- ``transports``: the client SDK's bottom layer, HTTP and gRPC transports (blocking and asyncio)
  to one endpoint.
- ``endpoint``: one server as the load generator sees it: pre-built senders and issuers, served
  configs, loads with a config override (perf and the tuner).
- ``streams``: one gRPC stream (decoupled models): requests out, each response or error to a
  callback; the LLM load generator, perf's decoupled figures and the LLM smoke use it.
- ``oneshot``: one request and its answer output by output, malformed ones kept (smoke checks).

Packages above (client, deploy, perf, server, abtest, doctor) import these; none of them imports
tritonclient's clients, ``urllib.request`` or ``http.client``, nor ``connect`` or
``grpc_messages``, whose objects would let them talk to a server themselves
(tests/unit/triton_boundary/test_boundary.py scans for both).
"""

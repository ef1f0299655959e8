"""The Triton boundary: the only code in tritonops that talks to a Triton server.

Modules, one idea each:

- ``dtypes``: the one numpy <-> Triton datatype map (``FP32``, ``BYTES``...).
- ``requests``: tritonclient ``InferInput`` / ``InferRequestedOutput`` built from numpy arrays.
- ``failures``: foreign errors translated once per protocol, by status code (never by text):
  ``tritonclient_errors`` for tritonclient's HTTP and gRPC clients, ``grpc_messages.rpc_error``
  for the raw gRPC stub, ``rest.http_errors`` for plain HTTP.
- ``connect``: tritonclient client objects (sync, asyncio, streaming) for one endpoint.
- ``grpc_messages``: KServe v2 messages through tritonclient's generated gRPC stub (hot path).
- ``rest``: plain HTTP to the v2 API (health, readiness, metadata, config, index, statistics,
  repository load/unload) and the metrics page.
- ``remote``: repository API and inference against a remote server, with headers and TLS.

Packages above (client, deploy, perf, server, abtest, doctor) import these; none of them imports
tritonclient's clients, ``urllib.request`` or ``http.client`` (a unit test scans for it).
"""

"""The client SDK: typed inference over tritonclient (HTTP/gRPC, sync/asyncio) and A/B routing.

Transports compose: wire transports reach one endpoint, pools spread over endpoints, retries repeat
UNAVAILABLE calls, and the ``Router`` is a transport made of per-variant transports.
``MockTransport`` answers in-process for tests.
"""

from tritonops.client.circuit import Circuit, CircuitSettings
from tritonops.client.client import AsyncClient, Client, InferResult
from tritonops.client.input_checks import Signature, TensorSpec, check_inputs
from tritonops.client.mock import MockTransport
from tritonops.client.pool import AsyncEndpointPool, EndpointPool
from tritonops.client.records import Assignment, ShadowComparison, VariantStats
from tritonops.client.retry import AsyncRetryTransport, RetryPolicy, RetryTransport
from tritonops.client.router import AsyncRouter, Router
from tritonops.client.routing import AttributeRule, RoutedResult, RoutingCore, Rule, Variant
from tritonops.client.transport import AsyncTransport, InferRequest, InferResponse, Transport
from tritonops.triton.transports import (
    AsyncGrpcTransport,
    AsyncHttpTransport,
    GrpcTransport,
    HttpTransport,
)

__all__ = [
    "Assignment",
    "AsyncClient",
    "AsyncEndpointPool",
    "AsyncGrpcTransport",
    "AsyncHttpTransport",
    "AsyncRetryTransport",
    "AsyncRouter",
    "AsyncTransport",
    "AttributeRule",
    "Circuit",
    "CircuitSettings",
    "Client",
    "EndpointPool",
    "GrpcTransport",
    "HttpTransport",
    "InferRequest",
    "InferResponse",
    "InferResult",
    "MockTransport",
    "RetryPolicy",
    "RetryTransport",
    "RoutedResult",
    "Router",
    "RoutingCore",
    "Rule",
    "ShadowComparison",
    "Signature",
    "TensorSpec",
    "Transport",
    "Variant",
    "VariantStats",
    "check_inputs",
]

"""The one Graph API client: pinned version, timeouts, error classes, usage headers, appsecret_proof."""

from leadloop.graph.client import BatchRequest, BatchResult, GraphClient, GraphPage, GraphResponse
from leadloop.graph.errors import (
    GraphAuthError,
    GraphError,
    GraphPermanentError,
    GraphRetryableError,
    GraphThrottledError,
    GraphTransportError,
)
from leadloop.graph.usage import GraphUsage

__all__ = [
    "BatchRequest",
    "BatchResult",
    "GraphAuthError",
    "GraphClient",
    "GraphError",
    "GraphPage",
    "GraphPermanentError",
    "GraphResponse",
    "GraphRetryableError",
    "GraphThrottledError",
    "GraphTransportError",
    "GraphUsage",
]

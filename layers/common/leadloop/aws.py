"""boto3 client factories, cached per process so warm invocations reuse connections.

Nothing is created at import time; the local stack and tests point boto3 at moto through the
standard ``AWS_ENDPOINT_URL`` variable, so no code path knows it is not on AWS.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


@functools.cache
def client(service: str) -> Any:
    """A shared, thread-safe low-level client for ``service``."""
    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between cases)."""
    client.cache_clear()

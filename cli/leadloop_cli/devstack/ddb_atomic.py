"""Makes each DynamoDB request of the local stack atomic, as DynamoDB is, so idempotency holds under bursts.

moto 5.2.5 serves requests on many threads and its DynamoDB backend takes no lock: ``update_item`` and
``put_item`` read the item, evaluate the ConditionExpression, then write. Two concurrent
``attribute_not_exists`` writes can both pass (a lead stored twice, two first-store metrics), and a read
can catch an update half applied. :func:`install` runs every DynamoDB and DynamoDB Streams request under
one lock, which is stronger than DynamoDB (a scan does not pause writers there) but never weaker. Only
the local stack installs it, and only on the moto version it was written for.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["install", "installed", "uninstall"]

SUPPORTED_MOTO_VERSION = "5.2.5"

_request_lock = threading.RLock()
_install_lock = threading.Lock()
#: handler class -> its own ``call_action`` (None: it inherited BaseResponse's)
_originals: dict[type, Callable[..., Any] | None] = {}


def _handlers() -> list[type]:
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    return [DynamoHandler, DynamoDBStreamsHandler]


def _serialized(call_action: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call_action)
    def call(self: Any) -> Any:
        with _request_lock:
            return call_action(self)

    return call


def install() -> None:
    """Serialize moto's DynamoDB (and Streams) requests in this interpreter (idempotent)."""
    import moto

    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise RuntimeError(
            f"ddb_atomic supports moto {SUPPORTED_MOTO_VERSION}, found {moto.__version__}; "
            "re-check moto.dynamodb's request handling and update ddb_atomic.py"
        )
    with _install_lock:
        if _originals:
            return
        for handler in _handlers():
            _originals[handler] = handler.__dict__.get("call_action")
            setattr(handler, "call_action", _serialized(handler.call_action))  # type: ignore[attr-defined]  # noqa: B010


def uninstall() -> None:
    """Put moto's own request handling back."""
    with _install_lock:
        for handler, original in _originals.items():
            if original is None:
                delattr(handler, "call_action")
            else:
                setattr(handler, "call_action", original)  # noqa: B010
        _originals.clear()


def installed() -> bool:
    return bool(_originals)

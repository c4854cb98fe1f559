"""Lambda's 6 MB invoke payload: how the local stack sizes events and answers like Lambda.

Event sources: whatever ``BatchSize`` and the batching window say, Lambda stops adding records to a
batch before the event (``{"Records": [...]}`` with every record's metadata, as the function
receives it) would pass 6 MB, 6,291,456 bytes, and leaves the rest for the next batch. A record
alone larger than the limit still goes alone (neither SQS messages nor stream records can be that
large; this only keeps a poller from stalling).

Invokes (direct, Step Functions tasks, the API shim): Lambda refuses a request payload over
6,291,456 bytes ("Request must be smaller than 6291456 bytes for the InvokeFunction operation",
``RequestEntityTooLargeException``) without running the function, and turns a response over
6,291,556 bytes into the function error ``Function.ResponseSizeTooLarge``.

Sizes are of the compact JSON encoding in UTF-8, the form Lambda delivers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..runtime import InvokeResult

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_RESPONSE_BYTES",
    "REQUEST_TOO_LARGE",
    "EventBudget",
    "event_bytes",
    "limit_response",
    "record_bytes",
    "request_too_large",
]

MAX_EVENT_BYTES = 6 * 1024 * 1024
#: Lambda lets a synchronous response be 100 bytes longer than a request.
MAX_RESPONSE_BYTES = MAX_EVENT_BYTES + 100
REQUEST_TOO_LARGE = f"Request must be smaller than {MAX_EVENT_BYTES} bytes for the InvokeFunction operation"
_ENVELOPE = len(b'{"Records":[]}')


def record_bytes(record: Any) -> int:
    """The bytes one record adds to an event (without the comma that separates it from the previous one)."""
    return len(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode())


def event_bytes(records: Iterable[Any]) -> int:
    """The size of ``{"Records": records}`` as Lambda would send it."""
    sizes = [record_bytes(r) for r in records]
    return _ENVELOPE + sum(sizes) + max(0, len(sizes) - 1)


class EventBudget:
    """Running size of one batch's event: which next record still fits under the limit."""

    def __init__(self, limit: int = MAX_EVENT_BYTES) -> None:
        self.limit = limit
        self.used = _ENVELOPE
        self.count = 0

    def fits(self, size: int) -> bool:
        return self.count == 0 or self.used + 1 + size <= self.limit

    def add(self, size: int) -> None:
        self.used += size + (1 if self.count else 0)
        self.count += 1


def request_too_large(event: Any) -> bool:
    """Whether Lambda would refuse to invoke with ``event`` (over 6,291,456 bytes)."""
    return record_bytes(event) > MAX_EVENT_BYTES


def limit_response(result: InvokeResult) -> InvokeResult:
    """``result``, or Lambda's ``Function.ResponseSizeTooLarge`` error when its payload is over the limit."""
    if len(result.payload.encode()) <= MAX_RESPONSE_BYTES:
        return result
    body = {
        "errorType": "Function.ResponseSizeTooLarge",
        "errorMessage": f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
    }
    return InvokeResult(json.dumps(body), True, result.logs, result.request_id)

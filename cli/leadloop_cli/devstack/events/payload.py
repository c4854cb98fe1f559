"""Lambda's 6 MB invoke payload, enforced by the SQS and stream pollers as Lambda does.

Whatever ``BatchSize`` and the batching window say, Lambda stops adding records to a batch before
the event (``{"Records": [...]}`` with every record's metadata, as the function receives it) would
pass 6 MB, 6,291,456 bytes, and leaves the rest for the next batch. Sizes are of the compact JSON
encoding in UTF-8, the form Lambda delivers. A record alone larger than the limit still goes alone
(neither SQS messages nor stream records can be that large; this only keeps a poller from stalling).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

__all__ = ["MAX_EVENT_BYTES", "EventBudget", "event_bytes", "record_bytes"]

MAX_EVENT_BYTES = 6 * 1024 * 1024
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

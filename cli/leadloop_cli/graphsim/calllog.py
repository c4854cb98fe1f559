"""Log of Graph calls received, for ``GET /_sim/calls``.

Only shapes are kept (method, path without the query string, status, sizes, error
code): never tokens, ``appsecret_proof`` values, bodies or lead answers.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any


class CallLog:
    """Append-only, thread-safe list of call records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[dict[str, Any]] = []
        self._seq = itertools.count(1)

    def record(self, entry: dict[str, Any]) -> int:
        """Add one record (a ``seq`` number is assigned); returns that number."""
        with self._lock:
            seq = next(self._seq)
            self._calls.append({"seq": seq, **entry})
            return seq

    def snapshot(self) -> list[dict[str, Any]]:
        """A copy of every record, oldest first."""
        with self._lock:
            return [dict(call) for call in self._calls]

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._calls.clear()

    def update(self, seq: int, fields: dict[str, Any]) -> None:
        """Fill in fields of an earlier record (a batch's status once its items ran)."""
        with self._lock:
            for call in self._calls:
                if call["seq"] == seq:
                    call.update(fields)
                    return

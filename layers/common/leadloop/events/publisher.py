"""PutEvents in calls of at most 10 entries and 256 KB, retrying what EventBridge refused.

EventBridge answers a PutEvents call entry by entry: some may fail (``ErrorCode``) while the rest
are accepted, and a throttled or failed call refuses them all. Refused entries are sent again with
exponential backoff and jitter, a few times within the invocation's time; what is still refused is
returned with its reason, for the caller to park. Entry sizes are counted as AWS documents them
("Calculating PutEvents event entry size"): 14 bytes for ``Time``, then the UTF-8 bytes of
``Source``, ``DetailType``, ``Detail`` and each resource; a call's entries must stay under 256 KB.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.batch.backoff import backoff_with_jitter

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024  # "the total entry size must be less than 256KB"
TIME_BYTES = 14


@dataclass(frozen=True)
class EventEntry:
    """One PutEvents entry; ``key`` ties it back to its lead (never sent)."""

    key: str
    detail_type: str
    detail: str
    source: str
    time: datetime | None = None
    resources: tuple[str, ...] = ()

    def size(self) -> int:
        size = TIME_BYTES if self.time is not None else 0
        size += len(self.source.encode()) + len(self.detail_type.encode()) + len(self.detail.encode())
        return size + sum(len(r.encode()) for r in self.resources)

    def request_entry(self, bus_name: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Source": self.source,
            "DetailType": self.detail_type,
            "Detail": self.detail,
            "EventBusName": bus_name,
        }
        if self.time is not None:
            entry["Time"] = self.time
        if self.resources:
            entry["Resources"] = list(self.resources)
        return entry


@dataclass
class PublishResult:
    """How many entries EventBridge accepted, how many calls it took, and each refusal's reason."""

    accepted: int = 0
    calls: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # entry key -> reason


def request_batches(entries: Sequence[EventEntry]) -> list[list[EventEntry]]:
    """Entries in order, cut into calls of at most 10 entries and under 256 KB each."""
    batches: list[list[EventEntry]] = []
    current: list[EventEntry] = []
    size = 0
    for entry in entries:
        entry_size = entry.size()
        if current and (len(current) >= MAX_ENTRIES or size + entry_size >= MAX_REQUEST_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(entry)
        size += entry_size
    if current:
        batches.append(current)
    return batches


class EventPublisher:
    """Sends lead events to one bus; ``sleep`` and ``time_left`` are injected so tests need no clock."""

    def __init__(
        self,
        client: Any,
        bus_name: str,
        *,
        attempts: int = 4,
        base_delay: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._events = client
        self._bus = bus_name
        self._attempts = attempts
        self._base_delay = base_delay
        self._sleep = sleep

    def publish(self, entries: Sequence[EventEntry], *, time_left: Callable[[], float]) -> PublishResult:
        result = PublishResult()
        pending = list(entries)
        reasons: dict[str, str] = {}
        for attempt in range(self._attempts):
            if attempt:
                delay = backoff_with_jitter(self._base_delay, attempt, jitter=(0.5, 1.0))
                if time_left() < delay + 2.0:
                    break
                self._sleep(delay)
            refused: list[EventEntry] = []
            for batch in request_batches(pending):
                result.calls += 1
                failed = self._put(batch)
                for entry, reason in failed:
                    refused.append(entry)
                    reasons[entry.key] = reason
                result.accepted += len(batch) - len(failed)
            pending = refused
            if not pending:
                break
        result.refused = {entry.key: reasons[entry.key] for entry in pending}
        return result

    def _put(self, batch: list[EventEntry]) -> list[tuple[EventEntry, str]]:
        """The entries of one call EventBridge refused, with the reason (codes only, never the detail)."""
        try:
            answer = self._events.put_events(Entries=[entry.request_entry(self._bus) for entry in batch])
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            return [(entry, code) for entry in batch]
        except BotoCoreError as exc:
            return [(entry, type(exc).__name__) for entry in batch]
        if not answer.get("FailedEntryCount"):
            return []
        results = answer.get("Entries") or []
        refused = []
        for index, entry in enumerate(batch):
            outcome = results[index] if index < len(results) else {"ErrorCode": "NoAnswer"}
            if outcome.get("ErrorCode") or not outcome.get("EventId"):
                refused.append((entry, str(outcome.get("ErrorCode") or "NoEventId")))
        return refused

"""In-memory stand-ins for the capture path: LeadsTable, Meta's lead reads and SQS.

``RetryQueue`` keeps SQS's rules that matter here: a message is invisible for its delay (at most
15 minutes), each receive counts, a received message comes back after the visibility timeout (or a
changed visibility) unless it is deleted, and the redrive policy moves a message received more
than ``max_receive_count`` times to the DLQ whatever our own counters say.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadloop.capture.messages import FetchRetryMessage
from leadloop.capture.service import CaptureDeps, ReceivedRetry, retry_fetches
from leadloop.graph import GraphError
from leadloop.leads.models import LeadStatus
from leadloop.leads.store import RecordedNotification
from leadloop.queues import MAX_DELAY_SECONDS, MAX_VISIBILITY_SECONDS, OutgoingMessage
from tests.support.graph import FakeGraph, GraphCall

T0 = 1_790_000_000.0
DAY = 86400


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeStore:
    status: dict[str, LeadStatus] = field(default_factory=dict)
    failures: list[tuple[str, str, bool]] = field(default_factory=list)

    def record_notifications(self, notes: Sequence[Any], *, now: int) -> list[RecordedNotification]:
        for note in notes:
            self.status.setdefault(note.leadgen_id, LeadStatus.PENDING)
        return [RecordedNotification(n.leadgen_id, self.status[n.leadgen_id]) for n in notes]

    def save_fetched(self, lead: Any, *, source: Any, now: int, page_id: str | None = None) -> bool:
        if self.status.get(lead.id, LeadStatus.PENDING).settled:
            return False
        self.status[lead.id] = LeadStatus.FETCHED
        return True

    def note_fetch_failure(self, leadgen_id: str, reason: str, *, failed: bool, now: int) -> None:
        self.failures.append((leadgen_id, reason, failed))
        if failed:
            self.status[leadgen_id] = LeadStatus.FAILED

    def statuses(self, leadgen_ids: Any) -> dict[str, LeadStatus]:
        return {i: self.status[i] for i in leadgen_ids if i in self.status}


def _lead(lead_id: str) -> dict[str, Any]:
    return {"id": lead_id, "created_time": "2026-09-21T00:00:00+0000", "form_id": "222", "field_data": []}


@dataclass
class _Held:
    message_id: str
    body: str
    visible_at: float
    receives: int = 0


class RetryQueue:
    """FetchRetryQueue with its redrive policy (``MessageQueue``'s interface plus receive/settle)."""

    def __init__(self, clock: Clock, *, visibility_timeout: int = 180, max_receive_count: int = 25) -> None:
        self.clock = clock
        self.visibility_timeout = visibility_timeout
        self.max_receive_count = max_receive_count
        self.held: dict[str, _Held] = {}
        self.redriven: list[str] = []
        self.max_receives_seen = 0
        self.refuse_sends = False
        self._ids = itertools.count(1)

    # MessageQueue
    def send(self, messages: Sequence[OutgoingMessage]) -> None:
        self.send_each(messages)

    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        if self.refuse_sends:
            return [False] * len(messages)
        for out in messages:
            message_id = f"m{next(self._ids)}"
            delay = max(0, min(MAX_DELAY_SECONDS, int(out.delay_seconds)))
            self.held[message_id] = _Held(message_id, out.body, self.clock.now + delay)
        return [True] * len(messages)

    def delay_redelivery(self, receipt_handle: str, seconds: float) -> None:
        self.held[receipt_handle].visible_at = self.clock.now + max(0, min(MAX_VISIBILITY_SECONDS, int(seconds)))

    # the consumer's side
    def next_visible(self) -> float | None:
        return min((h.visible_at for h in self.held.values()), default=None)

    def receive(self, limit: int = 10) -> list[ReceivedRetry]:
        batch: list[ReceivedRetry] = []
        for held in sorted(self.held.values(), key=lambda h: h.visible_at):
            if held.visible_at > self.clock.now or len(batch) == limit:
                continue
            if held.receives >= self.max_receive_count:
                self.redriven.append(held.body)
                del self.held[held.message_id]
                continue
            held.receives += 1
            self.max_receives_seen = max(self.max_receives_seen, held.receives)
            held.visible_at = self.clock.now + self.visibility_timeout
            message = FetchRetryMessage.model_validate_json(held.body)
            batch.append(ReceivedRetry(held.message_id, held.message_id, message, held.receives))
        return batch

    def settle(self, batch: Sequence[ReceivedRetry], failed: set[str]) -> None:
        for item in batch:
            if item.message_id not in failed:
                self.held.pop(item.message_id, None)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(h.body) for h in self.held.values()]


@dataclass
class DeadLetters:
    sent: list[OutgoingMessage] = field(default_factory=list)

    def send(self, messages: Sequence[OutgoingMessage]) -> None:
        self.sent.extend(messages)

    def send_text(self, body: str, reason: str) -> None:
        self.sent.append(OutgoingMessage(body, 0, reason))

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(m.body) for m in self.sent]


@dataclass
class Rig:
    behaviour: Callable[[float, int], GraphError | None]
    max_attempts: int = 8
    clock: Clock = field(default_factory=Clock)
    store: FakeStore = field(default_factory=FakeStore)
    dlq: DeadLetters = field(default_factory=DeadLetters)
    queue: RetryQueue = field(init=False)
    graph: FakeGraph = field(init=False)

    def __post_init__(self) -> None:
        self.queue = RetryQueue(self.clock)
        self.graph = FakeGraph(otherwise=self._read, clock=self.clock)

    def _read(self, call: GraphCall) -> GraphError | dict[str, Any]:
        """Each lead read is answered with ``behaviour(now, call_number)``: a GraphError, or None for the lead."""
        error = self.behaviour(self.clock.now, len(self.graph.calls))
        return error if error is not None else _lead(call.path)

    def deps(self, **overrides: Any) -> CaptureDeps:
        values: dict[str, Any] = {
            "store": self.store,
            "graph_for_page": lambda page_id: self.graph,
            "retry_queue": self.queue,
            "dead_letters": self.dlq,
            "clock": self.clock,
            "base_retry_delay": 30,
            "max_attempts": self.max_attempts,
        }
        return CaptureDeps(**(values | overrides))

    def drain(self, *, until: float, **overrides: Any) -> None:
        """Deliver FetchRetryQueue to the consumer, moving the clock to each next visible message."""
        deps = self.deps(**overrides)
        while (visible_at := self.queue.next_visible()) is not None:
            self.clock.now = max(self.clock.now, visible_at)
            if self.clock.now > until:
                return
            batch = self.queue.receive()
            if batch:
                self.queue.settle(batch, retry_fetches(batch, deps))

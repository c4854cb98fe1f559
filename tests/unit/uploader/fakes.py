"""Fakes for the uploader's dependencies: Graph's answer to an upload, queues, locks, visibility."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadloop.queues import OutgoingMessage
from leadloop.uploader.call_outcomes import Policy
from leadloop.uploader.service import UploaderDeps
from tests.support.graph import FakeGraph, GraphCall

SCHEMA = ["EMAIL", "PHONE"]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def message(audience_id: str = "111", op: str = "add", rows: Sequence[Sequence[str]] | None = None, **extra: Any):
    body = {"audience_id": audience_id, "op": op, "schema": SCHEMA, "rows": rows or [[sha("a"), ""]]} | extra
    return body


def record(message_id: str, body: Any, receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:AudienceQueue",
        "awsRegion": "us-east-1",
    }


def users_received(call: GraphCall) -> dict[str, Any]:
    """Meta's answer to an upload it accepted: every row received."""
    rows = len(json.loads(call.params["payload"])["data"])
    return {"audience_id": call.path.split("/", maxsplit=1)[0], "num_received": rows, "num_invalid_entries": 0}


@dataclass
class FakeLocks:
    held: dict[str, int] = field(default_factory=dict)

    def held_until(self, audience_ids: Iterable[str], now: int) -> dict[str, int]:
        return {a: u for a, u in self.held.items() if a in set(audience_ids) and u > now}


@dataclass
class FakeHider:
    hidden: dict[str, int] = field(default_factory=dict)

    def hide(self, waits: Mapping[str, int]) -> int:
        self.hidden.update(waits)
        return 0


@dataclass
class FakeQueue:
    sent: list[OutgoingMessage] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)

    def send(self, messages: Sequence[OutgoingMessage]) -> None:
        self.sent += list(messages)

    def send_text(self, body: str, reason: str) -> None:
        self.texts.append((body, reason))


@dataclass
class Rig:
    graph: FakeGraph = field(default_factory=lambda: FakeGraph(otherwise=users_received))
    locks: FakeLocks = field(default_factory=FakeLocks)
    hider: FakeHider = field(default_factory=FakeHider)
    requeue: FakeQueue = field(default_factory=FakeQueue)
    dlq: FakeQueue = field(default_factory=FakeQueue)
    now: float = 1_800_000_000.0

    def deps(self, **overrides: Any) -> UploaderDeps:
        values: dict[str, Any] = {
            "graph": lambda: self.graph,
            "locks": self.locks,
            "visibility": self.hider,
            "requeue": self.requeue,
            "dead_letters": self.dlq,
            "policy": Policy(retry_base_delay=30, max_throttle_wait=3600, auth_delay=1800),
            "max_receives": 8,
            "clock": lambda: self.now,
        }
        return UploaderDeps(**(values | overrides))

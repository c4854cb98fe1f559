"""Lambda's 6 MB invoke payload in the local pollers: the event is measured, never exceeded; the rest waits."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadloop_cli.devstack.events.dynamodb import StreamEventSource, StreamPoller
from leadloop_cli.devstack.events.payload import MAX_EVENT_BYTES, EventBudget, event_bytes, record_bytes
from leadloop_cli.devstack.events.sqs import SqsEventSource, SqsPoller
from leadloop_cli.devstack.logsink import LogSink
from leadloop_cli.devstack.runtime import InvokeResult

ARN = "arn:aws:sqs:us-east-1:123456789012:work"
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000"


def test_the_limit_is_6_mib_and_the_budget_counts_envelope_and_commas():
    assert MAX_EVENT_BYTES == 6_291_456
    records = [{"a": "x" * 10}, {"b": "é"}]
    assert event_bytes(records) == len(
        json.dumps({"Records": records}, separators=(",", ":"), ensure_ascii=False).encode()
    )
    budget = EventBudget(limit=event_bytes(records))
    for r in records:
        assert budget.fits(record_bytes(r))
        budget.add(record_bytes(r))
    assert budget.used == event_bytes(records) and not budget.fits(1)
    assert EventBudget(limit=10).fits(10_000)  # a first record always goes, alone


# ---------------------------------------------------------------------------------------- SQS


@dataclass
class FakeSqs:
    """A queue: receives hand out visible messages in order (in flight until deleted)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)
    deleted: list[str] = field(default_factory=list)

    def add(self, body: str) -> None:
        n = len(self.messages)
        self.messages.append(
            {
                "MessageId": f"m{n:05d}",
                "ReceiptHandle": f"rh-{n:05d}-" + "Q" * 150,
                "Body": body,
                "MD5OfBody": "0" * 32,
                "Attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1800000000000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1800000000001",
                },
            }
        )

    def receive_message(self, *, MaxNumberOfMessages: int, **_: Any) -> dict[str, Any]:
        ready = [m for m in self.messages if m["MessageId"] not in self.in_flight][:MaxNumberOfMessages]
        self.in_flight |= {m["MessageId"] for m in ready}
        return {"Messages": [dict(m) for m in ready]}

    def delete_message_batch(self, *, Entries: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        handles = {e["ReceiptHandle"] for e in Entries}
        gone = [m for m in self.messages if m["ReceiptHandle"] in handles]
        self.deleted += [m["MessageId"] for m in gone]
        self.messages = [m for m in self.messages if m["ReceiptHandle"] not in handles]
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


def sqs_poller(tmp_path: Path, sqs: FakeSqs, events: list[Any], batch_size: int = 10_000) -> SqsPoller:
    """A poller whose batching window never closes first: every batch here ends by size or count."""

    def invoke(event: Any) -> InvokeResult:
        events.append(event)
        return InvokeResult("null", False)

    source = SqsEventSource("Fn", "Rows", ARN, "https://queue", batch_size=batch_size, batching_window=300)
    return SqsPoller(source, invoke=invoke, sqs=sqs, region="us-east-1", sink=LogSink(tmp_path / "log"))


def test_sqs_batches_end_before_6_mb_of_event_and_the_rest_comes_next(tmp_path: Path):
    sqs = FakeSqs()
    for n in range(60):  # JSON bodies: every quote is escaped again inside the event
        sqs.add(json.dumps({"n": n, "rows": ['"' * 50 + "a" * 150] * 1000}))
    events: list[Any] = []
    poller = sqs_poller(tmp_path, sqs, events)
    for _ in range(3):
        poller.poll_once(wait_seconds=0)
    assert len(events) == 3
    for index, event in enumerate(events):
        assert event_bytes(event["Records"]) <= MAX_EVENT_BYTES
        nxt = events[index + 1]["Records"][0] if index + 1 < len(events) else None
        if nxt is not None:  # each batch is as large as Lambda makes it
            assert event_bytes([*event["Records"], nxt]) > MAX_EVENT_BYTES
    delivered = [json.loads(r["body"])["n"] for e in events for r in e["Records"]]
    assert 10 < len(events[0]["Records"]) < 20 and delivered == list(range(len(delivered)))
    assert sqs.deleted == [f"m{n:05d}" for n in delivered]  # the rest: received once, waiting in flight


def test_sqs_metadata_counts_toward_the_limit_not_only_bodies(tmp_path: Path):
    sqs = FakeSqs()
    for n in range(10_000):
        sqs.add(f"{n:05d}" + "b" * 495)  # 5 MB of bodies; with each record's metadata, over 6 MB
    events: list[Any] = []
    sqs_poller(tmp_path, sqs, events).poll_once(wait_seconds=0)
    [records] = [e["Records"] for e in events]
    assert len(records) < 10_000 and sum(len(r["body"]) for r in records) < MAX_EVENT_BYTES
    assert event_bytes(records) <= MAX_EVENT_BYTES < event_bytes([*records, records[-1]])


def test_sqs_batch_size_still_applies_under_the_limit(tmp_path: Path):
    sqs = FakeSqs()
    for n in range(25):
        sqs.add(str(n))
    events: list[Any] = []
    sqs_poller(tmp_path, sqs, events, batch_size=10).poll_once(wait_seconds=0)
    assert [len(e["Records"]) for e in events] == [10]


# ------------------------------------------------------------------------------------- streams


@dataclass
class FakeStreams:
    records: list[dict[str, Any]] = field(default_factory=list)
    position: int = 0

    def put(self, key: str, size: int) -> None:
        n = len(self.records)
        self.records.append(
            {
                "eventID": f"e{n}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "dynamodb": {
                    "ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC),
                    "Keys": {"id": {"S": key}},
                    "NewImage": {"id": {"S": key}, "blob": {"S": "z" * size}},
                    "SequenceNumber": f"{100 + n:021d}",
                    "SizeBytes": size,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        )

    def describe_stream(self, **_: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **_: Any) -> dict[str, Any]:
        return {"ShardIterator": "it"}

    def get_records(self, *, Limit: int, **_: Any) -> dict[str, Any]:
        chunk = self.records[self.position : self.position + Limit]
        self.position += len(chunk)
        return {"Records": chunk, "NextShardIterator": "it"}


def stream_poller(tmp_path: Path, streams: FakeStreams, events: list[Any], window: float) -> StreamPoller:
    def invoke(event: Any) -> InvokeResult:
        events.append(event)
        return InvokeResult("null", False)

    source = StreamEventSource(
        "Fn", "Leads", "arn:aws:lambda:us-east-1:123456789012:function:fn", STREAM_ARN,
        starting_position="TRIM_HORIZON", batch_size=1000, batching_window=window,
    )  # fmt: skip
    poller = StreamPoller(
        source, invoke=invoke, streams=streams, clients=lambda _: None, region="us-east-1",
        sink=LogSink(tmp_path / "log"),
    )  # fmt: skip
    poller.open()
    return poller


@pytest.mark.parametrize("flush", [True, False])
def test_stream_batches_end_before_6_mb_and_a_full_one_does_not_wait_for_the_window(tmp_path: Path, flush: bool):
    streams = FakeStreams()
    for n in range(40):
        streams.put(f"k{n}", 350_000)  # ~350 KB items: 40 of them are 14 MB of records
    events: list[Any] = []
    poller = stream_poller(tmp_path, streams, events, window=0 if flush else 3600)
    delivered = poller.poll_once(flush=flush)
    for index, event in enumerate(events):
        assert event_bytes(event["Records"]) <= MAX_EVENT_BYTES
        if index + 1 < len(events):
            assert event_bytes([*event["Records"], events[index + 1]["Records"][0]]) > MAX_EVENT_BYTES
    keys = [r["dynamodb"]["Keys"]["id"]["S"] for e in events for r in e["Records"]]
    if flush:
        assert len(events) == 3 and keys == [f"k{n}" for n in range(40)]
    else:  # two full batches go at once; the last, partial one waits for the window
        assert len(events) == 2 and keys == [f"k{n}" for n in range(len(keys))] and delivered == len(keys) < 40


def test_a_paused_poller_takes_no_batch_until_resumed(tmp_path: Path):
    """(The bench pauses the uploader's poller while the hasher fills the queue.)"""
    import threading

    sqs = FakeSqs()
    sqs.add("waiting")
    events: list[Any] = []
    poller = sqs_poller(tmp_path, sqs, events, batch_size=1)
    poller.pause()
    poller.start()
    poller.stop()
    poller.join()
    assert sqs.in_flight == set() and events == []  # never even received

    delivered = threading.Event()
    poller = sqs_poller(tmp_path, sqs, events, batch_size=1)
    original = poller.deliver

    def deliver(messages: list[dict[str, Any]]) -> None:
        original(messages)
        delivered.set()

    poller.deliver = deliver  # type: ignore[method-assign]
    poller.pause()
    poller.start()
    poller.resume()
    assert delivered.wait(30)
    poller.stop()
    poller.join()
    assert [r["body"] for e in events for r in e["Records"]] == ["waiting"]

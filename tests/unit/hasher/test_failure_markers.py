"""Failed stream records written to StateTable before they are reported, and read back by range (moto)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadloop.hasher.consumer import consume
from leadloop.hasher.service import HasherDeps
from leadloop.queues import OutgoingMessage
from leadloop.routing import Routing
from leadloop.rows.audience_rows import AudienceRow, GroupKey
from leadloop.state.errors import StateError
from leadloop.state.keys import hasher_failed
from leadloop.state.markers import TTL_SECONDS, FailedRecord, FailureMarkers
from tests.unit.state_table import moto_state_table

TABLE = "state"
NOW = 1_800_000_000
SCHEMA = ("EMAIL", "PHONE")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def removal(lead: str, audience: str = "111") -> AudienceRow:
    return AudienceRow(GroupKey(audience, "remove", SCHEMA, (), "9001"), lead, (sha(f"{lead}@x.co"), ""))


@pytest.fixture
def ddb() -> Iterator[Any]:
    with moto_state_table(TABLE) as client:
        yield client


def test_records_read_back_by_range_in_numeric_order_with_their_removal_hashes(ddb: Any):
    markers = FailureMarkers(ddb, TABLE)
    markers.record(
        [
            FailedRecord("1000", "3", "add"),
            FailedRecord("99", "1", "remove", (removal("1"), removal("1", "222"))),
            FailedRecord("100", "2", "unknown"),
            FailedRecord("5000", "4", "add"),
        ],
        now=NOW,
    )
    found = markers.in_range("99", "1000")
    assert [(f.sequence, f.leadgen_id, f.change) for f in found] == [
        ("99", "1", "remove"),
        ("100", "2", "unknown"),
        ("1000", "3", "add"),
    ]
    assert found[0].removals == (removal("1"), removal("1", "222"))
    item = ddb.get_item(TableName=TABLE, Key=hasher_failed("99").item_key())["Item"]
    assert int(item["expires_at"]["N"]) - NOW == TTL_SECONDS >= 14 * 86400
    assert "@" not in json.dumps(item)  # hashes only
    markers.delete(["99", "100"])
    assert [f.sequence for f in markers.in_range("0", "9999")] == ["1000", "5000"]


def test_a_retry_overwrites_the_record_and_raw_values_are_never_written(ddb: Any):
    markers = FailureMarkers(ddb, TABLE)
    markers.record([FailedRecord("7", "1", "unknown")], now=NOW)
    markers.record([FailedRecord("7", "1", "remove", (removal("1"),))], now=NOW)
    [found] = markers.in_range("7", "7")
    assert found.change == "remove" and found.removals == (removal("1"),)
    raw = AudienceRow(GroupKey("111", "remove", SCHEMA), "2", ("mary@example.com", ""))
    with pytest.raises(ValueError, match="not a SHA-256"):
        markers.record([FailedRecord("8", "2", "remove", (raw,))], now=NOW)
    assert markers.in_range("8", "8") == []


def test_many_records_are_all_written(ddb: Any):
    markers = FailureMarkers(ddb, TABLE)
    markers.record([FailedRecord(str(n), str(n), "add") for n in range(1, 61)], now=NOW)
    assert len(markers.in_range("1", "60")) == 60


def test_a_missing_table_is_a_marker_error():
    with mock_aws():
        markers = FailureMarkers(boto3.client("dynamodb", region_name="us-east-1"), "absent")
        with pytest.raises(StateError):
            markers.record([FailedRecord("1", "1", "add")])


# -------------------------------------------------------------------------------------- consumer


@dataclass
class FakeMarkers:
    written: list[FailedRecord] = field(default_factory=list)
    broken: bool = False

    def record(self, failed: Sequence[FailedRecord], *, now: int | None = None) -> None:
        if self.broken:
            raise StateError("writing failure records failed: ProvisionedThroughputExceededException")
        self.written += failed


@dataclass
class Queue:
    accept: bool = True
    sent: list[OutgoingMessage] = field(default_factory=list)

    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        self.sent += messages
        return [self.accept] * len(messages)


ROUTING = Routing.model_validate({"forms": [{"form_id": "10", "page_id": "1", "audience_ids": ["111", "222"]}]})


def image(lead: str, status: str = "FETCHED") -> dict[str, Any]:
    answers = [{"M": {"name": {"S": "email"}, "values": {"L": [{"S": f"p{lead}@example.com"}]}}}]
    return {
        "leadgen_id": {"S": lead},
        "form_id": {"S": "10"},
        "status": {"S": status},
        "field_data": {"L": answers},
    }


def record(sequence: str, lead: str, kind: str) -> dict[str, Any]:
    stream: dict[str, Any] = {"SequenceNumber": sequence, "Keys": {"leadgen_id": {"S": lead}}}
    if kind == "add":
        stream["NewImage"] = image(lead)
    else:
        stream["OldImage"] = image(lead)
    return {"eventID": sequence, "eventName": "INSERT" if kind == "add" else "REMOVE", "dynamodb": stream}


def deps(queue: Queue, markers: FakeMarkers, routing: Any = None) -> HasherDeps:
    return HasherDeps(routing=routing or (lambda: ROUTING), audience_queue=queue, markers=markers)


def test_failed_records_are_recorded_with_their_removal_hashes_before_they_are_reported():
    markers = FakeMarkers()
    event = {"Records": [record("100", "1", "add"), record("200", "2", "remove")]}
    answer = consume(event, None, deps(Queue(accept=False), markers))
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == ["100", "200"]
    assert [(m.sequence, m.leadgen_id, m.change) for m in markers.written] == [
        ("100", "1", "add"),
        ("200", "2", "remove"),
    ]
    removals = markers.written[1].removals
    assert [r.key.audience_id for r in removals] == ["111", "222"]
    assert all(r.cells[0] == sha("p2@example.com") for r in removals)


def test_nothing_is_recorded_when_every_row_was_queued():
    markers = FakeMarkers()
    answer = consume({"Records": [record("100", "1", "add")]}, None, deps(Queue(), markers))
    assert answer == {"batchItemFailures": []} and markers.written == []


def test_when_the_records_cannot_be_written_the_invocation_fails_so_lambda_retries_the_batch():
    with pytest.raises(StateError):
        consume({"Records": [record("100", "1", "add")]}, None, deps(Queue(accept=False), FakeMarkers(broken=True)))


def test_a_batch_that_fails_as_a_whole_records_every_record_first():
    markers = FakeMarkers()
    calls = {"n": 0}

    def flaky_routing() -> Routing:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("SSM throttled")
        return ROUTING  # read again while describing the failed batch: removals keep their hashes

    event = {"Records": [record("100", "1", "add"), record("200", "2", "remove")]}
    with pytest.raises(RuntimeError, match="SSM throttled"):
        consume(event, None, deps(Queue(), markers, flaky_routing))
    assert [(m.sequence, m.change, len(m.removals)) for m in markers.written] == [
        ("100", "add", 0),
        ("200", "remove", 2),
    ]

    markers = FakeMarkers()
    with pytest.raises(RuntimeError):
        consume(event, None, deps(Queue(), markers, lambda: (_ for _ in ()).throw(RuntimeError("SSM down"))))
    # without routing a removal's hashes are unknown: recorded as such, with its lead key
    assert [(m.sequence, m.leadgen_id, m.change) for m in markers.written] == [
        ("100", "1", "add"),
        ("200", "2", "unknown"),
    ]


def test_the_hasher_only_ever_puts_items_one_by_one():
    """Its role is granted dynamodb:PutItem on StateTable, nothing else."""

    @dataclass
    class Recording:
        calls: list[str] = field(default_factory=list)

        def put_item(self, **kwargs: Any) -> dict[str, Any]:
            self.calls.append("put_item")
            return {}

    client = Recording()
    FailureMarkers(client, TABLE).record([FailedRecord(str(n), str(n), "add") for n in range(30)], now=NOW)
    assert client.calls == ["put_item"] * 30

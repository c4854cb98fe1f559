"""LeadHasherFailureDLQ replay: rows rebuilt from current lead state; ranges removed only once rows are queued."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadloop.hasher.rebuild import rebuild
from leadloop.hasher.service import LeadChange, rows_for_change
from leadloop.queues import OutgoingMessage
from leadloop.routing import Routing
from leadloop.rows.audience_rows import AudienceRow, GroupKey
from leadloop.rows.messages import AudienceRowsMessage
from leadloop.rows.policy import LEAD_SCHEMA
from leadloop.state.markers import FailedRecord
from leadloop_cli.hasherreplay import DeadRange, HasherReplay, ReplayError, read_range

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ROUTING = Routing.model_validate({"forms": [{"form_id": "10", "page_id": "1", "audience_ids": ["111", "222"]}]})
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/leads/stream/2026-12-01T00:00:00.000"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def lead(lead_id: str, status: str = "FETCHED") -> dict[str, Any]:
    item: dict[str, Any] = {"leadgen_id": lead_id, "form_id": "10", "status": status}
    if status == "FETCHED":
        item["field_data"] = [{"name": "email", "values": [f"p{lead_id}@example.com"]}]
    return item


def removal(lead_id: str, audience: str = "111") -> AudienceRow:
    cells = tuple(sha(f"p{lead_id}@example.com") if k == "EMAIL" else "" for k in LEAD_SCHEMA)
    return AudienceRow(GroupKey(audience, "remove", LEAD_SCHEMA), lead_id, cells)


@dataclass
class Leads:
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, leadgen_id: str) -> dict[str, Any] | None:
        return self.items.get(leadgen_id)


# ----------------------------------------------------------------------------------------- rebuild


def test_a_stored_lead_gets_its_add_rows_exactly_as_the_hasher_makes_them():
    leads = Leads({"1": lead("1")})
    rebuilt = rebuild([FailedRecord("5", "1", "add"), FailedRecord("9", "1", "unknown")], leads, ROUTING)
    expected = rows_for_change(LeadChange("add", lead("1")), ROUTING)
    assert rebuilt.rows == [("9", row) for row in expected] and rebuilt.added == 2 and rebuilt.unrebuildable == []


def test_a_forgotten_or_deleted_lead_gets_the_recorded_removals_and_never_an_add():
    leads = Leads({"2": lead("2", "FORGOTTEN")})
    failed = [
        FailedRecord("1", "2", "remove", (removal("2"), removal("2", "222"))),
        FailedRecord("2", "3", "remove", (removal("3"),)),  # deleted: gone from LeadsTable
        FailedRecord("3", "4", "add"),  # added, then deleted before the replay: stays out
    ]
    rebuilt = rebuild(failed, leads, ROUTING)
    assert [(s, r.key.op, r.key.audience_id, r.lead_id) for s, r in rebuilt.rows] == [
        ("1", "remove", "111", "2"),
        ("1", "remove", "222", "2"),
        ("2", "remove", "111", "3"),
    ]
    assert (rebuilt.added, rebuilt.removed, rebuilt.unrebuildable) == (0, 3, [])


def test_a_lead_re_stored_after_a_failed_removal_is_added_from_its_current_state():
    rebuilt = rebuild([FailedRecord("1", "5", "remove", (removal("5"),))], Leads({"5": lead("5")}), ROUTING)
    assert {r.key.op for _, r in rebuilt.rows} == {"add"}


def test_leads_not_fetched_yet_wait_and_gone_leads_without_hashes_are_unrebuildable():
    leads = Leads({"6": lead("6", "PENDING")})
    failed = [FailedRecord("1", "6", "add"), FailedRecord("2", "7", "unknown"), FailedRecord("3", "", "unknown")]
    rebuilt = rebuild(failed, leads, ROUTING)
    assert rebuilt.rows == [] and sorted(rebuilt.unrebuildable) == ["2", "3"]


# ------------------------------------------------------------------------------------------ replay


def dlq_body(first: str, last: str, arrival: datetime | None, shard: str = "shardId-1") -> str:
    info: dict[str, Any] = {
        "shardId": shard,
        "startSequenceNumber": first,
        "endSequenceNumber": last,
        "batchSize": 2,
        "streamArn": STREAM,
    }
    if arrival is not None:
        info["approximateArrivalOfFirstRecord"] = arrival.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps({"requestContext": {"condition": "RetryAttemptsExhausted"}, "DDBStreamBatchInfo": info})


@dataclass
class Dlq:
    bodies: dict[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    #: made visible again at the end of a run (left in the DLQ)
    shown: list[str] = field(default_factory=list)

    def receive_message(self, *, MaxNumberOfMessages: int, **_: Any) -> dict[str, Any]:
        ids = [i for i in self.bodies if i not in self.deleted][:MaxNumberOfMessages]
        return {"Messages": [{"MessageId": i, "ReceiptHandle": f"rh-{i}", "Body": self.bodies[i]} for i in ids]}

    def delete_message(self, *, ReceiptHandle: str, **_: Any) -> None:
        self.deleted.append(ReceiptHandle.removeprefix("rh-"))

    def change_message_visibility(self, *, ReceiptHandle: str, VisibilityTimeout: int, **_: Any) -> None:
        assert VisibilityTimeout == 0
        self.shown.append(ReceiptHandle.removeprefix("rh-"))


@dataclass
class Markers:
    records: list[FailedRecord] = field(default_factory=list)

    def in_range(self, first: str, last: str) -> list[FailedRecord]:
        return [r for r in self.records if int(first) <= int(r.sequence) <= int(last)]

    def delete(self, sequences: Iterable[str]) -> None:
        gone = set(sequences)
        self.records = [r for r in self.records if r.sequence not in gone]


@dataclass
class Queue:
    accept: bool = True
    sent: list[OutgoingMessage] = field(default_factory=list)

    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        self.sent += messages
        return [self.accept] * len(messages)

    def rows(self) -> list[tuple[str, str, str]]:
        out: list[tuple[str, str, str]] = []
        for m in self.sent:
            message = AudienceRowsMessage.from_body(m.body)
            out += [(message.op, message.audience_id, lead) for lead in message.lead_ids]
        return out


@dataclass
class Streams:
    """A shard holding ``records``; ``expired`` answers as AWS does for a trimmed range."""

    records: list[dict[str, Any]] = field(default_factory=list)
    expired: bool = False
    reads: int = 0

    def get_shard_iterator(self, *, SequenceNumber: str, **_: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        self.reads += 1
        if self.expired:
            raise ClientError({"Error": {"Code": "TrimmedDataAccessException"}}, "GetShardIterator")
        return {"ShardIterator": SequenceNumber}

    def get_records(self, *, ShardIterator: str, Limit: int) -> dict[str, Any]:
        page = [r for r in self.records if int(r["dynamodb"]["SequenceNumber"]) >= int(ShardIterator)][:Limit]
        nxt = str(int(page[-1]["dynamodb"]["SequenceNumber"]) + 1) if page else ShardIterator
        return {"Records": page, "NextShardIterator": nxt}


def stream_insert(sequence: str, lead_id: str) -> dict[str, Any]:
    answers = [{"M": {"name": {"S": "email"}, "values": {"L": [{"S": f"p{lead_id}@example.com"}]}}}]
    new = {
        "leadgen_id": {"S": lead_id},
        "form_id": {"S": "10"},
        "status": {"S": "FETCHED"},
        "field_data": {"L": answers},
    }
    return {
        "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": sequence, "Keys": {"leadgen_id": {"S": lead_id}}, "NewImage": new},
    }


def replay(dlq: Dlq, markers: Markers, leads: Leads, queue: Queue, streams: Streams, **options: Any) -> HasherReplay:
    return HasherReplay(
        sqs=dlq,
        dlq_url="dlq",
        audience_queue=queue,
        markers=markers,
        leads=leads,
        routing=lambda: ROUTING,
        streams=streams,
        now=lambda: NOW,
        **options,
    )


def test_a_range_past_the_stream_s_24_hours_is_rebuilt_from_the_records_and_then_removed():
    dlq = Dlq({"m1": dlq_body("100", "300", NOW - timedelta(days=3))})
    markers = Markers([FailedRecord("100", "1", "add"), FailedRecord("200", "2", "remove", (removal("2"),))])
    outside = FailedRecord("900", "9", "add")  # another range's record (or one that later succeeded)
    markers.records.append(outside)
    queue, streams = Queue(), Streams()
    report = replay(dlq, markers, Leads({"1": lead("1"), "9": lead("9")}), queue, streams).run()
    assert streams.reads == 0  # three days old: the stream is not even asked
    assert sorted(queue.rows()) == [("add", "111", "1"), ("add", "222", "1"), ("remove", "111", "2")]
    assert dlq.deleted == ["m1"] and markers.records == [outside]
    assert (report.ranges, report.records, report.rows_added, report.rows_removed, report.kept) == (1, 2, 2, 1, 0)


def test_within_23_hours_the_stream_range_covers_records_nothing_was_recorded_for():
    dlq = Dlq({"m1": dlq_body("100", "300", NOW - timedelta(hours=2))})
    streams = Streams([stream_insert("100", "1"), stream_insert("200", "3"), stream_insert("400", "4")])
    queue = Queue()
    report = replay(dlq, Markers(), Leads({"1": lead("1"), "3": lead("3"), "4": lead("4")}), queue, streams).run()
    assert {lead for _, _, lead in queue.rows()} == {"1", "3"}  # "4" lies past the range
    assert report.read_from_stream == 1 and dlq.deleted == ["m1"]


def test_a_trimmed_stream_falls_back_to_the_records():
    dlq = Dlq({"m1": dlq_body("100", "300", NOW - timedelta(hours=2))})
    queue = Queue()
    replay(dlq, Markers([FailedRecord("100", "1", "add")]), Leads({"1": lead("1")}), queue, Streams(expired=True)).run()
    assert {lead for _, _, lead in queue.rows()} == {"1"} and dlq.deleted == ["m1"]


def test_a_range_nothing_can_be_rebuilt_for_stays_until_discarded():
    dlq = Dlq({"m1": dlq_body("100", "300", NOW - timedelta(days=2)), "m2": dlq_body("500", "600", None)})
    markers = Markers([FailedRecord("500", "5", "unknown")])  # gone, hashes never recorded
    report = replay(dlq, markers, Leads(), Queue(), Streams()).run()
    assert (report.kept, report.ranges, dlq.deleted, sorted(dlq.shown)) == (2, 0, [], ["m1", "m2"])
    report = replay(dlq, markers, Leads(), Queue(), Streams(), discard_unrebuildable=True).run()
    assert (report.discarded, sorted(dlq.deleted), markers.records) == (2, ["m1", "m2"], [])


def test_refused_rows_leave_the_range_and_its_records_in_place():
    dlq = Dlq({"m1": dlq_body("100", "300", NOW - timedelta(days=3))})
    markers = Markers([FailedRecord("100", "1", "add")])
    with pytest.raises(ReplayError):
        replay(dlq, markers, Leads({"1": lead("1")}), Queue(accept=False), Streams()).run()
    assert dlq.deleted == [] and len(markers.records) == 1 and dlq.shown == ["m1"]


def test_messages_that_are_not_on_failure_records_are_left_and_counted():
    dlq = Dlq({"x": "{not json", "y": json.dumps({"DDBStreamBatchInfo": {"startSequenceNumber": "a"}})})
    report = replay(dlq, Markers(), Leads(), Queue(), Streams()).run()
    assert report.unreadable == 2 and dlq.deleted == [] and sorted(dlq.shown) == ["x", "y"]


def test_max_limits_the_ranges_taken():
    dlq = Dlq({f"m{n}": dlq_body(str(n * 10), str(n * 10 + 5), NOW - timedelta(days=3)) for n in range(1, 5)})
    markers = Markers([FailedRecord(str(n * 10), str(n), "add") for n in range(1, 5)])
    leads = Leads({str(n): lead(str(n)) for n in range(1, 5)})
    report = replay(dlq, markers, leads, Queue(), Streams()).run(limit=3)
    assert report.messages == 3 and len(dlq.deleted) == 3


def test_read_range_stops_at_the_last_sequence_number_and_parse_reads_lambdas_document():
    dead = DeadRange.parse(dlq_body("100", "200", NOW))
    assert dead is not None and (dead.first, dead.last, dead.shard_id, dead.first_arrival) == (
        "100",
        "200",
        "shardId-1",
        NOW,
    )
    assert dead.stream_readable(NOW + timedelta(hours=22)) and not dead.stream_readable(NOW + timedelta(hours=23))
    streams = Streams([stream_insert(str(s), "1") for s in (100, 150, 200, 250)])
    assert [r["dynamodb"]["SequenceNumber"] for r in read_range(streams, dead) or []] == ["100", "150", "200"]

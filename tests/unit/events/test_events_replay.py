"""``leadloop dlq replay`` for the lead-event queues: rebuilt from LeadsTable or the stream, or put back as sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadloop.events.publisher import EventPublisher
from leadloop_cli.eventsreplay import DeliveryReplay, EventsReplay

from .test_lead_events import FORM, PAGE, FakeEvents, record, routing, stored


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def _queue(sqs: Any, bodies: list[str]) -> str:
    url = str(sqs.create_queue(QueueName="dlq")["QueueUrl"])
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    return url


def _left(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _parked(lead: str, event: str = "Lead Captured") -> str:
    return json.dumps({"kind": "lead-event", "leadgen_id": lead, "event": event, "reason": "InternalFailure"})


class Leads:
    def __init__(self, items: dict[str, dict[str, Any]]) -> None:
        self.items = items

    def get(self, leadgen_id: str) -> dict[str, Any] | None:
        return self.items.get(leadgen_id)


class Streams:
    """The stream API as read_range uses it: one shard's records from a sequence number on."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def get_shard_iterator(self, **kwargs: Any) -> dict[str, Any]:
        return {"ShardIterator": kwargs["SequenceNumber"]}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        page = [r for r in self.records if int(r["dynamodb"]["SequenceNumber"]) >= int(ShardIterator)]
        return {"Records": page, "NextShardIterator": None}


def _events_replay(sqs: Any, url: str, fake: FakeEvents, leads: Leads, streams: Streams | None = None) -> EventsReplay:
    return EventsReplay(
        sqs=sqs,
        dlq_url=url,
        leads=leads,
        routing=lambda: routing(False),
        publisher=EventPublisher(fake, "bus", attempts=1, sleep=lambda _: None),
        streams=streams or Streams([]),
        now=lambda: datetime(2026, 12, 6, 22, tzinfo=UTC),
    )


def test_parked_events_are_rebuilt_from_the_leads_current_state(sqs):
    url = _queue(sqs, [_parked("901"), _parked("902", "Lead Forgotten"), _parked("903")])
    leads = Leads({"901": stored("901"), "902": {"leadgen_id": "902", "status": "FORGOTTEN", "forgotten_at": 5}})
    fake = FakeEvents()
    report = _events_replay(sqs, url, fake, leads).run()
    assert (report.messages, report.published, report.gone, report.kept) == (3, 2, 1, 0)
    sent = {(e["DetailType"], json.loads(e["Detail"])["leadgen_id"]) for call in fake.calls for e in call}
    assert sent == {("Lead Captured", "901"), ("Lead Forgotten", "902")}
    assert all(e["EventBusName"] == "bus" and e["Source"] == "leadloop" for call in fake.calls for e in call)
    assert _left(sqs, url) == 0


def test_a_refused_event_stays_in_the_queue(sqs):
    url = _queue(sqs, [_parked("901")])
    leads = Leads({"901": stored("901")})
    detail_refused = FakeEvents()
    detail_refused.throttle_calls = 5
    report = _events_replay(sqs, url, detail_refused, leads).run()
    assert (report.published, report.kept) == (0, 1) and _left(sqs, url) == 1


def _dead_range(first: str, last: str, arrived: datetime) -> str:
    info = {
        "shardId": "shard-1",
        "startSequenceNumber": first,
        "endSequenceNumber": last,
        "approximateArrivalOfFirstRecord": arrived.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "batchSize": 2,
        "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/leads/stream/x",
    }
    return json.dumps({"DDBStreamBatchInfo": info})


def test_a_dead_stream_batch_is_rebuilt_from_the_stream_while_it_lasts(sqs):
    records = [
        record(stored("901"), None, "100"),
        record(stored("902"), None, "101"),
        record(stored("903"), None, "102"),
    ]
    fresh = _dead_range("100", "101", datetime(2026, 12, 6, 12, tzinfo=UTC))
    stale = _dead_range("102", "102", datetime(2026, 12, 6, 22, tzinfo=UTC) - timedelta(hours=30))
    url = _queue(sqs, [fresh, stale])
    fake = FakeEvents()
    report = _events_replay(sqs, url, fake, Leads({}), Streams(records)).run()
    assert sorted(json.loads(e["Detail"])["leadgen_id"] for call in fake.calls for e in call) == ["901", "902"]
    assert (report.published, report.kept) == (2, 1) and _left(sqs, url) == 1


def test_undelivered_events_go_back_on_the_bus_as_they_were(sqs):
    detail = {"version": "1", "leadgen_id": "901", "form_id": FORM, "page_id": PAGE}
    event = {"version": "0", "id": "e-1", "detail-type": "Lead Captured", "source": "leadloop", "detail": detail}
    url = _queue(sqs, [json.dumps(event), "not json"])
    fake = FakeEvents()
    publisher = EventPublisher(fake, "bus", attempts=1, sleep=lambda _: None)
    report = DeliveryReplay(sqs=sqs, dlq_url=url, publisher=publisher).run()
    [[entry]] = fake.calls
    assert entry["DetailType"] == "Lead Captured" and json.loads(entry["Detail"]) == detail
    assert (report.published, report.unreadable) == (1, 1) and _left(sqs, url) == 1

"""Lead events: which stream changes send what, answers only on opt-in, PutEvents batching and refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError
from jsonschema import Draft202012Validator

from leadloop.events.changes import LeadChange, lead_change
from leadloop.events.consumer import EventsDeps, build_entry, publish_records
from leadloop.events.publisher import MAX_REQUEST_BYTES, EventEntry, EventPublisher, request_batches
from leadloop.queues import OutgoingMessage
from leadloop.routing import Routing

_serializer = TypeSerializer()
FORM, PAGE = "205000000000001", "104000000000001"
ANSWERS = [{"name": "email", "values": ["mary@example.com"]}, {"name": "full_name", "values": ["Mary Major"]}]


def image(**values: Any) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def stored(lead: str = "901", **extra: Any) -> dict[str, Any]:
    return {
        "leadgen_id": lead,
        "status": "FETCHED",
        "form_id": FORM,
        "page_id": PAGE,
        "ad_id": "7001",
        "adset_id": "7002",
        "campaign_id": "7003",
        "campaign_name": "Spring",
        "created_time": 1_765_000_000,
        "fetched_at": 1_765_000_005,
        "is_organic": False,
        "platform": "fb",
        "source": "webhook",
        "field_data": ANSWERS,
        "custom_disclaimer_responses": [{"checkbox_key": "optin", "is_checked": "1"}],
    } | extra


def record(new: dict[str, Any] | None, old: dict[str, Any] | None, sequence: str = "100") -> dict[str, Any]:
    body: dict[str, Any] = {"SequenceNumber": sequence, "Keys": image(leadgen_id=(new or old or {})["leadgen_id"])}
    if new is not None:
        body["NewImage"] = image(**new)
    if old is not None:
        body["OldImage"] = image(**old)
    return {
        "eventID": sequence,
        "eventName": "MODIFY" if old else "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": body,
    }


def routing(include_answers: bool) -> Routing:
    return Routing.model_validate(
        {"forms": [{"form_id": FORM, "page_id": PAGE, "events_include_answers": include_answers}]}
    )


@pytest.mark.parametrize(
    ("new", "old", "expected"),
    [
        (stored(), None, LeadChange.CAPTURED),  # stored by the backfill in one write
        (stored(), {"leadgen_id": "901", "status": "PENDING"}, LeadChange.CAPTURED),  # stub fetched
        (stored(), {"leadgen_id": "901", "status": "FAILED"}, LeadChange.CAPTURED),  # a retry succeeded
        (stored(fetch_attempts=2), stored(), None),  # a counter on a stored lead
        ({"leadgen_id": "901", "status": "PENDING"}, None, None),  # a stub
        ({"leadgen_id": "901", "status": "FORGOTTEN", "forgotten_at": 1}, stored(), LeadChange.FORGOTTEN),
        (
            {"leadgen_id": "901", "status": "FORGOTTEN", "forgotten_at": 2},
            {"leadgen_id": "901", "status": "FORGOTTEN"},
            None,
        ),
    ],
)
def test_only_becoming_stored_or_forgotten_sends_an_event(new, old, expected):
    change = lead_change(record(new, old))
    assert (change.change if change else None) == expected


def test_a_ttl_expiry_or_delete_sends_nothing():
    assert lead_change(record(None, stored())) is None


def test_captured_carries_ids_times_and_origin_but_no_answers_without_the_opt_in():
    entry = build_entry(lead_change(record(stored(), None)), routing(False))
    detail = json.loads(entry.detail)
    assert entry.detail_type == "Lead Captured" and entry.source == "leadloop"
    assert detail["leadgen_id"] == "901" and detail["form_id"] == FORM and detail["page_id"] == PAGE
    assert (detail["ad_id"], detail["adset_id"], detail["campaign_id"]) == ("7001", "7002", "7003")
    assert detail["created_time"] == "2025-12-06T05:46:40Z" and detail["origin"] == "webhook"
    assert detail["is_organic"] is False and detail["platform"] == "fb"
    assert detail["answers_included"] is False
    assert "field_data" not in detail and "mary" not in entry.detail.lower()


def test_captured_carries_the_answers_when_the_route_opts_in():
    detail = json.loads(build_entry(lead_change(record(stored(), None)), routing(True)).detail)
    assert detail["answers_included"] is True
    assert detail["field_data"] == ANSWERS
    assert detail["custom_disclaimer_responses"] == [{"checkbox_key": "optin", "is_checked": "1"}]


def test_a_form_without_a_route_never_sends_answers():
    detail = json.loads(build_entry(lead_change(record(stored(form_id="999"), None)), routing(True)).detail)
    assert detail["answers_included"] is False and "field_data" not in detail


def test_forgotten_names_the_lead_its_form_and_page_from_before_the_tombstone():
    tombstone = {"leadgen_id": "901", "status": "FORGOTTEN", "forgotten_at": 1_765_100_000}
    entry = build_entry(lead_change(record(tombstone, stored())), routing(True))
    assert entry.detail_type == "Lead Forgotten"
    assert json.loads(entry.detail) == {
        "version": "1",
        "leadgen_id": "901",
        "page_id": PAGE,
        "form_id": FORM,
        "forgotten_at": "2025-12-07T09:33:20Z",
    }
    assert "mary" not in entry.detail.lower()


def test_an_entry_too_large_for_eventbridge_is_sent_without_its_answers():
    huge = [{"name": "notes", "values": ["x" * 300_000]}]
    entry = build_entry(lead_change(record(stored(field_data=huge), None)), routing(True))
    detail = json.loads(entry.detail)
    assert entry.size() < MAX_REQUEST_BYTES
    assert detail["answers_included"] is False and detail["answers_omitted"] == "too_large"


def _entry(n: int, size: int = 100) -> EventEntry:
    return EventEntry(f"k{n}", "Lead Captured", "x" * size, "leadloop")


def test_calls_hold_at_most_ten_entries_and_stay_under_256_kb():
    assert [len(b) for b in request_batches([_entry(n) for n in range(23)])] == [10, 10, 3]
    big = [_entry(n, 100_000) for n in range(5)]
    batches = request_batches(big)
    assert [len(b) for b in batches] == [2, 2, 1]
    assert all(sum(e.size() for e in b) < MAX_REQUEST_BYTES for b in batches)


def test_entry_size_is_counted_as_aws_documents_it():
    entry = EventEntry("k", "Lead Captured", '{"é":1}', "leadloop", resources=("arn:x",))
    assert entry.size() == len("Lead Captured") + len('{"é":1}'.encode()) + len("leadloop") + len("arn:x")
    from datetime import UTC, datetime

    assert EventEntry("k", "a", "{}", "b", time=datetime.now(UTC)).size() == 14 + 1 + 2 + 1


class FakeEvents:
    """PutEvents that refuses chosen entries a number of times (by detail), or the whole call."""

    def __init__(self, refuse: dict[str, int] | None = None, throttle_calls: int = 0) -> None:
        self.refuse = dict(refuse or {})
        self.throttle_calls = throttle_calls
        self.calls: list[list[dict[str, Any]]] = []
        self.accepted: list[str] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        assert 1 <= len(Entries) <= 10
        self.calls.append(Entries)
        if self.throttle_calls:
            self.throttle_calls -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutEvents")
        results = []
        for entry in Entries:
            if self.refuse.get(entry["Detail"], 0) > 0:
                self.refuse[entry["Detail"]] -= 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                self.accepted.append(entry["Detail"])
                results.append({"EventId": f"e{len(self.accepted)}"})
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def _publisher(fake: FakeEvents, attempts: int = 4) -> EventPublisher:
    return EventPublisher(fake, "bus", attempts=attempts, sleep=lambda _: None)


def test_refused_entries_are_sent_again_and_only_they():
    fake = FakeEvents(refuse={"d3": 2})
    entries = [EventEntry(f"k{n}", "Lead Captured", f"d{n}", "leadloop") for n in range(12)]
    result = _publisher(fake).publish(entries, time_left=lambda: 60)
    assert result.refused == {} and result.accepted == 12
    assert sorted(fake.accepted) == sorted(f"d{n}" for n in range(12))
    assert [len(c) for c in fake.calls] == [10, 2, 1, 1]  # d3 alone, twice more


def test_what_is_still_refused_comes_back_with_its_reason():
    fake = FakeEvents(refuse={"d1": 99})
    entries = [EventEntry(f"k{n}", "Lead Captured", f"d{n}", "leadloop") for n in range(3)]
    result = _publisher(fake, attempts=3).publish(entries, time_left=lambda: 60)
    assert result.refused == {"k1": "InternalFailure"} and result.accepted == 2


def test_a_throttled_call_is_retried_whole():
    fake = FakeEvents(throttle_calls=1)
    result = _publisher(fake).publish([_entry(1)], time_left=lambda: 60)
    assert result.refused == {} and result.calls == 2


def test_no_retry_is_started_without_the_time_to_finish_it():
    fake = FakeEvents(refuse={"x" * 100: 99})
    result = _publisher(fake).publish([_entry(1)], time_left=lambda: 1.0)
    assert result.refused == {"k1": "InternalFailure"} and result.calls == 1


class FakeParking:
    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.sent: list[OutgoingMessage] = []

    def send_each(self, messages: list[OutgoingMessage]) -> list[bool]:
        self.sent += messages
        return [self.accept] * len(messages)


def _deps(fake: FakeEvents, parking: FakeParking, include_answers: bool = True) -> EventsDeps:
    return EventsDeps(
        routing=lambda: routing(include_answers),
        publisher=_publisher(fake, attempts=2),
        parking=parking,  # type: ignore[arg-type]
        clock=lambda: 1_765_200_000,
    )


def _records(count: int) -> list[DynamoDBRecord]:
    return [DynamoDBRecord(record(stored(str(900 + n)), None, sequence=str(100 + n))) for n in range(count)]


def test_a_batch_of_25_leads_costs_three_calls():
    fake, parking = FakeEvents(), FakeParking()
    assert publish_records(_records(25), _deps(fake, parking), time_left=lambda: 60) == set()
    assert len(fake.calls) == 3 and len(fake.accepted) == 25 and parking.sent == []


def test_a_refused_event_is_parked_with_its_reason_and_no_answers():
    records = _records(3)
    refused_detail = build_entry(lead_change(records[1].raw_event), routing(True)).detail
    fake, parking = FakeEvents(refuse={refused_detail: 99}), FakeParking()
    failed = publish_records(records, _deps(fake, parking), time_left=lambda: 60)
    assert failed == set() and len(fake.accepted) == 2
    [parked] = parking.sent
    assert json.loads(parked.body) == {
        "kind": "lead-event",
        "leadgen_id": "901",
        "event": "Lead Captured",
        "reason": "InternalFailure",
        "parked_at": 1_765_200_000,
    }
    assert "mary" not in parked.body.lower()


def test_when_parking_fails_too_the_record_is_reported_for_lambda_to_retry():
    records = _records(2)
    refused_detail = build_entry(lead_change(records[0].raw_event), routing(True)).detail
    fake, parking = FakeEvents(refuse={refused_detail: 99}), FakeParking(accept=False)
    assert publish_records(records, _deps(fake, parking), time_left=lambda: 60) == {"100"}


def test_an_unreadable_record_is_parked_and_does_not_hold_the_others():
    records = _records(2)
    broken = record({"status": "FETCHED", "leadgen_id": ""}, None, sequence="555")
    broken["dynamodb"]["Keys"] = image(leadgen_id="777")
    fake, parking = FakeEvents(), FakeParking()
    assert publish_records([*records, DynamoDBRecord(broken)], _deps(fake, parking), time_left=lambda: 60) == set()
    assert len(fake.accepted) == 2
    [parked] = parking.sent
    body = json.loads(parked.body)
    assert body["leadgen_id"] == "777" and body["reason"].startswith("unreadable:")


SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "schemas" / "lead-events.schema.json").read_text())


def _envelope(entry: EventEntry) -> dict[str, Any]:
    """The event as EventBridge delivers it to a target."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": entry.detail_type,
        "source": entry.source,
        "account": "123456789012",
        "time": "2026-12-06T21:00:05Z",
        "region": "us-east-1",
        "resources": [],
        "detail": json.loads(entry.detail),
    }


@pytest.mark.parametrize("include_answers", [False, True])
def test_every_event_we_send_matches_the_published_schema(include_answers):
    validator = Draft202012Validator(SCHEMA)
    tombstone = {"leadgen_id": "901", "status": "FORGOTTEN", "forgotten_at": 1_765_100_000}
    huge = stored(field_data=[{"name": "notes", "values": ["x" * 300_000]}])
    sources = [record(stored(), None), record(stored(ad_id=None, is_organic=None), None), record(tombstone, stored())]
    sources.append(record(huge, None))
    for raw in sources:
        envelope = _envelope(build_entry(lead_change(raw), routing(include_answers)))
        assert not list(validator.iter_errors(envelope)), envelope["detail-type"]


def test_the_schema_refuses_answers_that_were_not_opted_in():
    validator = Draft202012Validator(SCHEMA)
    envelope = _envelope(build_entry(lead_change(record(stored(), None)), routing(False)))
    envelope["detail"]["field_data"] = ANSWERS
    assert list(validator.iter_errors(envelope))

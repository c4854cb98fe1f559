"""The batch-consumer kit: partial responses, parking unreadable messages, backoff and time left."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from leadloop.batch.backoff import MAX_DOUBLINGS, backoff_with_jitter, doubled, jittered
from leadloop.batch.deadline import ASSUMED_SECONDS_LEFT, deadline, seconds_left, time_left
from leadloop.batch.parking import Unreadable, read_batch
from leadloop.batch.settle import settle_messages, settle_stream
from leadloop.observability import metrics
from leadloop.queues import QueueError


def sqs_record(message_id: str, body: str = "{}", receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:queue",
        "awsRegion": "us-east-1",
    }


def stream_record(sequence: str | None) -> dict[str, Any]:
    record: dict[str, Any] = {"eventID": f"e{sequence}", "eventName": "INSERT", "eventSource": "aws:dynamodb"}
    if sequence is not None:
        record["dynamodb"] = {"SequenceNumber": sequence, "Keys": {"leadgen_id": {"S": "1"}}}
    return record


def failed_ids(answer: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


@dataclass
class DeadLetters:
    """Records what was parked; ``refuse`` makes every send fail as SQS would."""

    refuse: bool = False
    parked: list[tuple[str, str]] = field(default_factory=list)

    def send_text(self, body: str, reason: str) -> None:
        if self.refuse:
            raise QueueError("sending to the queue failed: ClientError")
        self.parked.append((body, reason))


def read_number(body: str) -> int:
    try:
        return int(json.loads(body)["n"])
    except (ValueError, KeyError, TypeError):
        raise Unreadable("unreadable number message") from None


@pytest.fixture(autouse=True)
def clean_metrics() -> Any:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


# settle


def test_an_sqs_batch_reports_only_its_failed_message_ids():
    # Given a batch of three messages, the second of which failed
    event = {"Records": [sqs_record("a"), sqs_record("b"), sqs_record("c")]}
    # When the batch is settled
    answer = settle_messages(event, None, {"b"})
    # Then only that message is reported back to SQS
    assert failed_ids(answer) == ["b"]


def test_an_sqs_batch_without_failures_acknowledges_everything():
    # Given a batch whose messages all succeeded
    event = {"Records": [sqs_record("a"), sqs_record("b")]}
    # When the batch is settled
    answer = settle_messages(event, None, set())
    # Then no message is reported failed
    assert failed_ids(answer) == []


def test_an_sqs_batch_ignores_failed_ids_that_are_not_in_it():
    # Given a failure set naming a message from another batch
    event = {"Records": [sqs_record("a")]}
    # When the batch is settled
    answer = settle_messages(event, None, {"z"})
    # Then nothing of this batch is reported failed
    assert failed_ids(answer) == []


def test_a_stream_batch_reports_failed_records_by_sequence_number():
    # Given a stream batch whose middle record failed
    event = {"Records": [stream_record("100"), stream_record("200"), stream_record("300")]}
    # When the batch is settled
    answer = settle_stream(event, None, {"200"})
    # Then Lambda is told the failed record's sequence number
    assert failed_ids(answer) == ["200"]


def test_a_stream_record_without_stream_data_is_never_reported_failed():
    # Given a record with no stream data, whose (empty) sequence number is among the failures
    event = {"Records": [stream_record(None), stream_record("100")]}
    # When the batch is settled
    answer = settle_stream(event, None, {""})
    # Then nothing is reported: there is no sequence number Lambda could retry from
    assert failed_ids(answer) == []


# parking


def test_readable_messages_go_on_with_their_record_and_receive_count():
    # Given a readable message received for the third time
    event = {"Records": [sqs_record("a", '{"n": 7}', receive_count=3)]}
    # When the batch is read
    batch = read_batch(event, read_number, DeadLetters(), unreadable_metric="NumberUnreadable")
    # Then the message, its record and its receive count are handed on
    assert [(r.message, r.record.message_id, r.receive_count) for r in batch.readable] == [(7, "a", 3)]


def test_an_unreadable_message_is_parked_verbatim_with_its_reason():
    # Given a batch with one unreadable body
    dead_letters = DeadLetters()
    event = {"Records": [sqs_record("a", '{"n": 1}'), sqs_record("b", "not json")]}
    # When the batch is read
    read_batch(event, read_number, dead_letters, unreadable_metric="NumberUnreadable")
    # Then the DLQ holds the body as received, with the reason
    assert dead_letters.parked == [("not json", "unreadable number message")]


def test_a_parked_message_is_recorded_with_its_reason():
    # Given a batch with one unreadable body
    event = {"Records": [sqs_record("a", '{"n": 1}'), sqs_record("b", "not json")]}
    # When the batch is read
    batch = read_batch(event, read_number, DeadLetters(), unreadable_metric="NumberUnreadable")
    # Then the batch knows it was parked, and why
    assert batch.parked == {"b": "unreadable number message"}


def test_a_parked_message_is_not_worked_on():
    # Given a batch with one unreadable body
    event = {"Records": [sqs_record("a", '{"n": 1}'), sqs_record("b", "not json")]}
    # When the batch is read
    batch = read_batch(event, read_number, DeadLetters(), unreadable_metric="NumberUnreadable")
    # Then only the readable message goes on to the work
    assert [r.record.message_id for r in batch.readable] == ["a"]


def test_parking_counts_the_unreadable_message_under_the_given_metric():
    # Given a batch with one unreadable body
    event = {"Records": [sqs_record("b", "not json")]}
    # When the batch is read
    read_batch(event, read_number, DeadLetters(), unreadable_metric="NumberUnreadable")
    # Then the consumer's metric counts it
    assert "NumberUnreadable" in json.dumps(metrics.serialize_metric_set())


def test_a_message_that_cannot_be_parked_is_kept_to_be_reported_failed():
    # Given a DLQ that refuses every message
    event = {"Records": [sqs_record("b", "not json")]}
    # When the batch is read
    batch = read_batch(event, read_number, DeadLetters(refuse=True), unreadable_metric="NumberUnreadable")
    # Then the message is kept aside, to be reported failed
    assert batch.unparked == {"b"}


def test_a_message_that_cannot_be_parked_does_not_count_as_parked():
    # Given a DLQ that refuses every message
    event = {"Records": [sqs_record("b", "not json")]}
    # When the batch is read
    batch = read_batch(event, read_number, DeadLetters(refuse=True), unreadable_metric="NumberUnreadable")
    # Then it is not among the parked (acknowledged) messages
    assert batch.parked == {}


def test_a_message_that_cannot_be_parked_is_reported_failed_when_settled():
    # Given a batch whose unreadable message could not be parked
    event = {"Records": [sqs_record("a", '{"n": 1}'), sqs_record("b", "not json")]}
    batch = read_batch(event, read_number, DeadLetters(refuse=True), unreadable_metric="NumberUnreadable")
    # When the batch is settled with no failed work
    answer = settle_messages(event, None, batch.unparked)
    # Then SQS delivers that message again
    assert failed_ids(answer) == ["b"]


# backoff


def test_the_first_attempt_waits_the_base():
    # Given a base of 30 seconds
    # When the first attempt's wait is computed
    # Then it is the base
    assert doubled(30, 1) == 30


def test_each_later_attempt_doubles_the_wait():
    # Given a base of 30 seconds
    # When the fourth attempt's wait is computed
    # Then it has doubled three times
    assert doubled(30, 4) == 240


def test_doubling_stops_growing_after_the_last_doubling():
    # Given attempts far beyond the last doubling
    # When their waits are computed
    # Then they stay at the last doubled wait
    assert doubled(1, 1000) == 2.0**MAX_DOUBLINGS


def test_jitter_stays_within_its_bounds():
    # Given a seeded random source
    rng = random.Random(20261207)
    # When a hundred 10-second waits are jittered by 0.8 to 1.2
    waits = [jittered(10, 0.8, 1.2, rng=rng) for _ in range(100)]
    # Then each lies between 8 and 12 seconds
    assert all(8.0 <= wait <= 12.0 for wait in waits)


def test_jitter_spreads_the_waits():
    # Given a seeded random source
    rng = random.Random(20261207)
    # When a hundred 10-second waits are jittered by 0.8 to 1.2
    waits = {jittered(10, 0.8, 1.2, rng=rng) for _ in range(100)}
    # Then they differ, so retries do not arrive together
    assert len(waits) == 100


def test_the_same_seed_gives_the_same_waits():
    # Given two random sources with one seed
    first, second = random.Random(7), random.Random(7)
    # When each computes a backoff for the third attempt
    # Then both waits are the same
    assert backoff_with_jitter(30, 3, rng=first) == backoff_with_jitter(30, 3, rng=second)


def test_backoff_jitters_the_doubled_wait():
    # Given a random source whose draw is known
    draw = random.Random(3).uniform(0.8, 1.2)
    # When the third attempt's backoff is computed from the same source
    wait = backoff_with_jitter(30, 3, rng=random.Random(3))
    # Then it is the doubled wait times that draw
    assert wait == 120 * draw


def test_backoff_never_exceeds_its_cap():
    # Given a cap of 900 seconds
    rng = random.Random(11)
    # When the twelfth attempt's backoff is computed
    waits = [backoff_with_jitter(30, 12, cap=900, rng=rng) for _ in range(20)]
    # Then every wait is the cap
    assert set(waits) == {900}


# time left


def test_seconds_left_reads_the_lambda_context():
    # Given a context with 12.5 seconds left
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 12_500)
    # When the time left is read
    # Then it is in seconds
    assert seconds_left(context) == 12.5


def test_a_context_that_cannot_say_has_no_time_left_to_read():
    # Given a bare object for a context
    # When the time left is read
    # Then it is unknown
    assert seconds_left(object()) is None


def test_time_left_reads_the_context_at_each_call():
    # Given a context whose time runs down between calls
    remaining = iter([30_000, 10_000])
    read = time_left(SimpleNamespace(get_remaining_time_in_millis=lambda: next(remaining)))
    # When it is read twice
    # Then each call sees the time then left
    assert (read(), read()) == (30.0, 10.0)


def test_time_left_assumes_a_stated_time_when_the_context_cannot_say():
    # Given a bare object for a context
    # When the time left is read
    # Then it is the assumed time
    assert time_left(object())() == ASSUMED_SECONDS_LEFT


def test_the_deadline_keeps_the_margin_for_settling():
    # Given 12 seconds left at clock time 100 and a 5-second margin
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 12_000)
    # When the deadline is computed
    # Then work stops at 107, leaving the margin
    assert deadline(context, now=100.0, margin=5.0) == 107.0


def test_the_deadline_is_now_when_less_than_the_margin_is_left():
    # Given 3 seconds left at clock time 100 and a 5-second margin
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 3_000)
    # When the deadline is computed
    # Then it has already come
    assert deadline(context, now=100.0, margin=5.0) == 100.0


def test_there_is_no_deadline_when_the_context_cannot_say():
    # Given a bare object for a context
    # When the deadline is computed
    # Then there is none
    assert deadline(object(), now=100.0, margin=5.0) is None

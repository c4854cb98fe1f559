"""SQS and DynamoDB-stream event sources: Lambda's batching, filtering and partial-failure semantics."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from leadloop_cli.devstack import InvokeResult, LocalStack
from leadloop_cli.devstack.events.dynamodb import StreamEventSource, StreamPoller
from leadloop_cli.devstack.events.filters import compile_filter_criteria
from leadloop_cli.devstack.events.payload import MAX_EVENT_BYTES, event_bytes
from leadloop_cli.devstack.events.sqs import SqsEventSource, SqsPoller
from tests.integration.devstack.devstack_support import calls, wait_for

Invoke = Callable[[Any], InvokeResult]


def ok(body: Any = None) -> InvokeResult:
    return InvokeResult(json.dumps(body), False)


def failed(error_type: str = "ValueError") -> InvokeResult:
    return InvokeResult(json.dumps({"errorType": error_type, "errorMessage": "boom"}), True)


# ---------------------------------------------------------------------------- SQS


def _queue(stack: LocalStack, visibility: int = 1) -> tuple[str, str]:
    sqs = stack.client("sqs")
    url = sqs.create_queue(
        QueueName=f"direct-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": str(visibility)}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _sqs_poller(stack: LocalStack, url: str, arn: str, invoke: Invoke, **options: Any) -> SqsPoller:
    assert stack.sink is not None
    source = SqsEventSource("DirectFunction", "Direct", arn, url, **options)
    return SqsPoller(source, invoke=invoke, sqs=stack.client("sqs"), region=stack.region, sink=stack.sink)


def _visible(stack: LocalStack, url: str) -> list[dict[str, Any]]:
    time.sleep(1.2)  # past the visibility timeout of 1 s
    response = stack.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    messages: list[dict[str, Any]] = response.get("Messages", [])
    return messages


def test_sqs_end_to_end_partial_failure_goes_to_dlq(stack: LocalStack) -> None:
    sqs = stack.client("sqs")
    for body in ("ok-1", "fail-1", "ok-2"):
        sqs.send_message(QueueUrl=stack.resources["WorkQueue"], MessageBody=body)

    def in_dlq() -> list[str]:
        messages = sqs.receive_message(QueueUrl=stack.resources["WorkDLQ"], WaitTimeSeconds=1).get("Messages", [])
        return [m["Body"] for m in messages]

    assert wait_for(in_dlq, timeout=20) == ["fail-1"]
    # the successes were deleted after their batch: delivered exactly once
    assert sorted(c["body"] for c in calls(stack, "queue")) == ["ok-1", "ok-2"]
    attributes = sqs.get_queue_attributes(QueueUrl=stack.resources["WorkQueue"], AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_sqs_record_shape_and_partial_failures(stack: LocalStack) -> None:
    url, arn = _queue(stack)
    sqs = stack.client("sqs")
    sqs.send_message(
        QueueUrl=url,
        MessageBody="first",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "lead"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    for body in ("second", "third", "fourth"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    events: list[Any] = []

    def invoke(event: Any) -> InvokeResult:
        events.append(event)
        second = next(r for r in event["Records"] if r["body"] == "second")
        return ok({"batchItemFailures": [{"itemIdentifier": second["messageId"]}]})

    poller = _sqs_poller(stack, url, arn, invoke, batch_size=10, batching_window=0.5, report_failures=True)
    assert poller.poll_once() == 4
    (event,) = events
    records = {r["body"]: r for r in event["Records"]}
    first = records["first"]
    assert first["eventSource"] == "aws:sqs" and first["eventSourceARN"] == arn and first["awsRegion"] == "us-east-1"
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(first["attributes"])
    assert first["messageAttributes"]["kind"] == {
        "stringValue": "lead",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert base64.b64decode(first["messageAttributes"]["blob"]["binaryValue"]) == b"\x00\x01"
    assert first["md5OfBody"] and first["receiptHandle"] and first["messageId"]
    left = _visible(stack, url)
    assert [m["Body"] for m in left] == ["second"]
    assert left[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_sqs_function_error_and_invalid_response_delete_nothing(stack: LocalStack) -> None:
    url, arn = _queue(stack)
    for body in ("a", "b"):
        stack.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    poller = _sqs_poller(
        stack, url, arn, lambda event: failed(), batch_size=10, batching_window=0.3, report_failures=True
    )
    assert poller.poll_once() == 2
    assert sorted(m["Body"] for m in _visible(stack, url)) == ["a", "b"]
    time.sleep(1.2)
    bogus = _sqs_poller(
        stack,
        url,
        arn,
        lambda event: ok({"batchItemFailures": [{"itemIdentifier": "nope"}]}),
        batch_size=10,
        batching_window=0.3,
        report_failures=True,
    )
    assert bogus.poll_once() == 2
    assert sorted(m["Body"] for m in _visible(stack, url)) == ["a", "b"]


def test_sqs_failures_ignored_without_report_batch_item_failures(stack: LocalStack) -> None:
    url, arn = _queue(stack)
    stack.client("sqs").send_message(QueueUrl=url, MessageBody="x")

    def invoke(event: Any) -> InvokeResult:
        return ok({"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]})

    assert _sqs_poller(stack, url, arn, invoke).poll_once() == 1
    assert _visible(stack, url) == []


def test_sqs_batch_size_window_and_filter(stack: LocalStack) -> None:
    url, arn = _queue(stack, visibility=30)
    sqs = stack.client("sqs")
    for index in range(25):
        body = json.dumps({"kind": "keep" if index % 5 else "drop", "n": index})
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sizes: list[int] = []
    kept: list[int] = []

    def invoke(event: Any) -> InvokeResult:
        sizes.append(len(event["Records"]))
        kept.extend(json.loads(r["body"])["n"] for r in event["Records"])
        return ok()

    criteria = {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["keep"]}})}]}
    poller = _sqs_poller(
        stack, url, arn, invoke, batch_size=12, batching_window=1.0, filter=compile_filter_criteria(criteria)
    )
    received = 0
    while received < 25:
        received += poller.poll_once()
    assert sum(sizes) == 20 and max(sizes) <= 12
    assert sorted(kept) == [n for n in range(25) if n % 5]
    # filtered-out messages were deleted too: nothing left
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
            "ApproximateNumberOfMessagesNotVisible"
        ]
        == "0"
    )


def test_sqs_batches_stop_before_lambdas_6_mb_payload(stack: LocalStack) -> None:
    url, arn = _queue(stack, visibility=60)
    sqs = stack.client("sqs")
    for n in range(30):  # 30 messages of ~240 KB: about 7 MB of bodies, more once escaped in the event
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n, "cells": ['"q"' + "h" * 200] * 1150}))
    events: list[Any] = []

    def invoke(event: Any) -> InvokeResult:
        events.append(event)
        return ok()

    poller = _sqs_poller(stack, url, arn, invoke, batch_size=10_000, batching_window=1.0)
    delivered = 0
    while delivered < 30:
        delivered += poller.poll_once()
    assert len(events) >= 2
    assert all(event_bytes(e["Records"]) <= MAX_EVENT_BYTES for e in events)
    assert sorted(json.loads(r["body"])["n"] for e in events for r in e["Records"]) == list(range(30))
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (
        "0",
        "0",
    )


# ---------------------------------------------------------------------------- DynamoDB streams


def _stream_table(stack: LocalStack) -> tuple[str, str]:
    name = f"direct-{uuid.uuid4().hex[:8]}"
    table = stack.client("dynamodb").create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return name, table["LatestStreamArn"]


def _put(stack: LocalStack, table: str, item_id: str, status: str = "READY", **extra: Any) -> None:
    item = {"id": {"S": item_id}, "status": {"S": status}, **extra}
    stack.client("dynamodb").put_item(TableName=table, Item=item)


def _stream_poller(stack: LocalStack, arn: str, invoke: Invoke, **options: Any) -> StreamPoller:
    assert stack.sink is not None
    source = StreamEventSource(
        "DirectFunction",
        "Direct",
        "arn:aws:lambda:us-east-1:123456789012:function:d",
        arn,
        starting_position="TRIM_HORIZON",
        **options,
    )
    poller = StreamPoller(
        source,
        invoke=invoke,
        streams=stack.client("dynamodbstreams"),
        clients=stack.client,
        region=stack.region,
        sink=stack.sink,
        retry_delay=0.0,
    )
    poller.open()
    return poller


def _ids(event: Any) -> list[str]:
    return [r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"]]


def test_stream_filter_record_shape_and_partial_failure_checkpoint(stack: LocalStack) -> None:
    table, arn = _stream_table(stack)
    for item_id in ("a", "b"):
        _put(stack, table, item_id)
    _put(stack, table, "skip", status="NEW")
    _put(stack, table, "c", blob={"B": b"\x00\xff"})
    _put(stack, table, "d")
    batches: list[list[str]] = []
    events: list[Any] = []

    def invoke(event: Any) -> InvokeResult:
        events.append(event)
        batches.append(_ids(event))
        if len(batches) == 1:
            seq = event["Records"][2]["dynamodb"]["SequenceNumber"]  # "c"
            return ok({"batchItemFailures": [{"itemIdentifier": seq}]})
        return ok({"batchItemFailures": []})

    pattern = {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["READY"]}}}}
    criteria = {"Filters": [{"Pattern": json.dumps(pattern)}]}
    poller = _stream_poller(stack, arn, invoke, report_failures=True, filter=compile_filter_criteria(criteria))
    assert poller.poll_once(flush=True) == 4
    assert batches == [["a", "b", "c", "d"], ["c", "d"]]
    record = events[0]["Records"][2]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == arn and record["awsRegion"] == "us-east-1"
    assert record["eventVersion"] == "1.1"
    dynamodb = record["dynamodb"]
    assert dynamodb["StreamViewType"] == "NEW_AND_OLD_IMAGES" and dynamodb["Keys"] == {"id": {"S": "c"}}
    assert base64.b64decode(dynamodb["NewImage"]["blob"]["B"]) == b"\x00\xff"
    assert isinstance(dynamodb["ApproximateCreationDateTime"], int)
    json.dumps(events)  # everything is plain JSON, as Lambda sends it


def test_stream_bisect_retries_then_on_failure_destination(stack: LocalStack) -> None:
    table, arn = _stream_table(stack)
    for item_id in ("a", "b", "c", "d"):
        _put(stack, table, item_id)
    failure_url, failure_arn = _queue(stack)
    batches: list[list[str]] = []

    def invoke(event: Any) -> InvokeResult:
        batches.append(_ids(event))
        return failed() if "d" in _ids(event) else ok()

    poller = _stream_poller(
        stack, arn, invoke, bisect_on_error=True, maximum_retry_attempts=1, on_failure_arn=failure_arn
    )
    poller.poll_once(flush=True)
    assert batches == [["a", "b", "c", "d"], ["a", "b"], ["c", "d"], ["c"], ["d"], ["d"]]
    (message,) = stack.client("sqs").receive_message(QueueUrl=failure_url)["Messages"]
    document = json.loads(message["Body"])
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["requestContext"]["approximateInvokeCount"] == 2
    info = document["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == arn
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    # the checkpoint moved on: new records flow again
    _put(stack, table, "e")
    poller.poll_once(flush=True)
    assert batches[-1] == ["e"]


def test_stream_batch_size_and_modify_remove_events(stack: LocalStack) -> None:
    table, arn = _stream_table(stack)
    _put(stack, table, "a")
    _put(stack, table, "a", status="DONE")
    stack.client("dynamodb").delete_item(TableName=table, Key={"id": {"S": "a"}})
    seen: list[Any] = []

    def invoke(event: Any) -> InvokeResult:
        seen.append(event)
        return ok()

    poller = _stream_poller(stack, arn, invoke, batch_size=2)
    assert poller.poll_once(flush=True) == 3
    assert [len(e["Records"]) for e in seen] == [2, 1]
    names = [r["eventName"] for e in seen for r in e["Records"]]
    assert names == ["INSERT", "MODIFY", "REMOVE"]
    modify = seen[0]["Records"][1]["dynamodb"]
    assert modify["OldImage"]["status"] == {"S": "READY"} and modify["NewImage"]["status"] == {"S": "DONE"}


def test_stream_end_to_end_through_the_template_wiring(stack: LocalStack) -> None:
    table = stack.resources["ItemsTable"]
    _put(stack, table, "good-1")
    _put(stack, table, "filtered", status="PENDING")
    wait_for(lambda: [c for c in calls(stack, "stream") if c["id"] == "good-1"])
    _put(stack, table, "poison", poison={"BOOL": True})
    sqs = stack.client("sqs")

    def on_failure() -> Any:
        response = sqs.receive_message(QueueUrl=stack.resources["StreamFailureQueue"], WaitTimeSeconds=1)
        return response.get("Messages", [])

    (message,) = wait_for(on_failure, timeout=15)
    assert json.loads(message["Body"])["DDBStreamBatchInfo"]["batchSize"] == 1
    _put(stack, table, "good-2")
    wait_for(lambda: [c for c in calls(stack, "stream") if c["id"] == "good-2"])
    recorded = [c["id"] for c in calls(stack, "stream")]
    assert "filtered" not in recorded and "poison" not in recorded
    assert recorded.count("good-1") == 1


def test_stream_batches_stop_before_lambdas_6_mb_payload(stack: LocalStack) -> None:
    table, arn = _stream_table(stack)
    for n in range(20):  # 20 items of ~380 KB: 7.6 MB of stream records, so two batches
        _put(stack, table, f"big-{n:02d}", blob={"S": "b" * 380_000})
    events: list[Any] = []

    def invoke(event: Any) -> InvokeResult:
        events.append(event)
        return ok()

    poller = _stream_poller(stack, arn, invoke, batch_size=100)
    assert poller.poll_once(flush=True) == 20
    assert [len(e["Records"]) for e in events] == [16, 4]
    assert all(event_bytes(e["Records"]) <= MAX_EVENT_BYTES for e in events)
    assert event_bytes([*events[0]["Records"], events[1]["Records"][0]]) > MAX_EVENT_BYTES
    assert [i for e in events for i in _ids(e)] == [f"big-{n:02d}" for n in range(20)]

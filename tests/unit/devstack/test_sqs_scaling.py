"""moto's SQS behaves the same with the local stack's indexed message store installed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadloop_cli.devstack import sqs_scaling


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("sqs", region_name="us-east-1")
        client.create_queue(QueueName="before-install")  # exists before install: reindexed
        sqs_scaling.install()
        try:
            yield client
        finally:
            sqs_scaling.uninstall()


def _queue(sqs: Any, name: str, **attributes: str) -> str:
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def _send(sqs: Any, url: str, count: int) -> None:
    for start in range(0, count, 10):
        entries = [{"Id": str(n), "MessageBody": json.dumps({"n": n})} for n in range(start, min(count, start + 10))]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _receive(sqs: Any, url: str, visibility: int = 30) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=visibility).get(
            "Messages", []
        )
        if not got:
            return out
        out.extend(got)


def _counts(sqs: Any, url: str) -> tuple[int, int]:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_install_is_idempotent_and_reported(sqs: Any) -> None:
    sqs_scaling.install()
    assert sqs_scaling.installed()


def test_each_message_is_received_once_then_deleted_by_handle(sqs: Any) -> None:
    url = _queue(sqs, "q")
    _send(sqs, url, 95)
    received = _receive(sqs, url)
    assert sorted(json.loads(m["Body"])["n"] for m in received) == list(range(95))
    assert _counts(sqs, url) == (0, 95)
    for start in range(0, 95, 10):
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received[start : start + 10])
        ]
        assert not sqs.delete_message_batch(QueueUrl=url, Entries=entries).get("Failed")
    assert _counts(sqs, url) == (0, 0)
    # Deleting again is allowed, as on SQS.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])


def test_an_unknown_handle_is_still_refused(sqs: Any) -> None:
    url = _queue(sqs, "q")
    _send(sqs, url, 1)
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="not-a-handle", VisibilityTimeout=0)


def test_visibility_changes_find_the_message_and_an_old_handle_still_deletes(sqs: Any) -> None:
    url = _queue(sqs, "q")
    _send(sqs, url, 3)
    first = _receive(sqs, url)
    assert len(first) == 3
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0)
    again = _receive(sqs, url)
    assert [m["MessageId"] for m in again] == [first[0]["MessageId"]]
    assert again[0]["ReceiptHandle"] != first[0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert _counts(sqs, url) == (0, 2)


def test_redrive_purge_and_queues_made_before_install(sqs: Any) -> None:
    dlq = _queue(sqs, "dlq")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = _queue(sqs, "q", RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}))
    _send(sqs, url, 2)
    assert len(_receive(sqs, url, visibility=0)) == 2
    assert _receive(sqs, url) == []  # the second receive moves both to the DLQ
    assert _counts(sqs, dlq) == (2, 0)
    sqs.purge_queue(QueueUrl=dlq)
    assert _counts(sqs, dlq) == (0, 0)
    _send(sqs, dlq, 1)
    assert len(_receive(sqs, dlq)) == 1

    early = sqs.get_queue_url(QueueName="before-install")["QueueUrl"]
    _send(sqs, early, 12)
    assert len(_receive(sqs, early)) == 12


def test_delayed_messages_wait_and_long_polls_return(sqs: Any) -> None:
    url = _queue(sqs, "q")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    assert _receive(sqs, url) == []
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    sqs.send_message(QueueUrl=url, MessageBody="now")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["now"]


def test_uninstall_leaves_moto_working(sqs: Any) -> None:
    url = _queue(sqs, "q")
    _send(sqs, url, 4)
    sqs_scaling.uninstall()
    assert not sqs_scaling.installed()
    received = _receive(sqs, url)
    assert len(received) == 4
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])
    assert _counts(sqs, url) == (0, 3)

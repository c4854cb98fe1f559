"""Stream records as Lambda delivers them: the poller turns GetRecords' (boto3) shape into Lambda's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from leadloop.hasher.failures import change_of
from leadloop.hasher.service import is_ttl_delete
from leadloop_cli.devstack.events.dynamodb import stream_record

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Leads/stream/2026-01-01T00:00:00.000"
FETCHED = {"leadgen_id": {"S": "77"}, "status": {"S": "FETCHED"}, "form_id": {"S": "5"}}


def get_records_remove(**extra: Any) -> dict[str, Any]:
    """A REMOVE as boto3's GetRecords returns it (datetime, ``userIdentity`` with capitalised keys)."""
    return {
        "eventID": "e1",
        "eventName": "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC),
            "Keys": {"leadgen_id": {"S": "77"}},
            "OldImage": FETCHED,
            "SequenceNumber": "100",
            "SizeBytes": 60,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        **extra,
    }


TTL_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}


def test_a_ttl_delete_reaches_the_function_with_lambdas_lower_case_identity() -> None:
    record = stream_record(get_records_remove(userIdentity=TTL_IDENTITY), ARN, "us-east-1")
    assert record["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1772366405  # epoch seconds, a number
    assert record["eventSourceARN"] == ARN and record["eventVersion"] == "1.1"
    json.dumps(record)


def test_the_hasher_skips_a_ttl_expiry_and_removes_on_a_persons_delete() -> None:
    expired = DynamoDBRecord(stream_record(get_records_remove(userIdentity=TTL_IDENTITY), ARN, "us-east-1"))
    assert change_of(expired) is None
    deleted = DynamoDBRecord(stream_record(get_records_remove(), ARN, "us-east-1"))
    change = change_of(deleted)
    assert change is not None and change.op == "remove" and change.lead_id == "77"


def test_a_record_read_back_from_the_stream_is_still_a_ttl_delete() -> None:
    # The hasher replay reads GetRecords itself: its records keep the API's capitalised keys.
    assert change_of(DynamoDBRecord(get_records_remove(userIdentity=TTL_IDENTITY))) is None
    assert is_ttl_delete({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
    assert not is_ttl_delete({"type": "Service", "principalId": "events.amazonaws.com"})
    assert not is_ttl_delete(None)

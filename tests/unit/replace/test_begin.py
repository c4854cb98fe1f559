"""``begin``: a CSV source must be readable before the run goes on to check and lock the audience."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from leadloop.replace.deps import ReplaceDeps
from leadloop.replace.errors import InvalidReplaceInput, StagingError
from leadloop.replace.prepare import begin
from leadloop.replace.state import BeginInput
from leadloop.settings import AudienceReplaceSettings
from tests.support.moto_stack import UNIT_BUCKET as BUCKET

AUDIENCE = "238000000000001"
SETTINGS = AudienceReplaceSettings.model_validate(
    {
        "GRAPH_API_VERSION": "v23.0",
        "META_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:meta",
        "ROUTING_PARAMETER_NAME": "/leadloop/routing",
        "LEADS_TABLE_NAME": "leads",
        "STATE_TABLE_NAME": "state",
        "STAGING_BUCKET_NAME": BUCKET,
    }
)


def _unused(*args: Any) -> Any:
    raise AssertionError("begin must not reach Meta, the lock or the staging area")


def _deps(s3: Any) -> ReplaceDeps:
    return ReplaceDeps(
        graph=_unused,
        records=_unused,  # type: ignore[arg-type]
        staging=_unused,
        dynamodb=None,
        s3=s3,
        routing=_unused,
        settings=SETTINGS,
        clock=lambda: 1_800_000_000.0,
    )


def _csv_input(bucket: str = BUCKET, key: str = "sources/crm.csv") -> BeginInput:
    source = {"type": "s3_csv", "bucket": bucket, "key": key, "mapping": {"Email": "EMAIL"}}
    return BeginInput(input={"audience_id": AUDIENCE, "source": source}, run_id="run-1")


def test_a_present_csv_begins_the_run(s3: Any) -> None:
    # Given a CSV source that is in the bucket
    s3.put_object(Bucket=BUCKET, Key="sources/crm.csv", Body=b"Email\na@example.com\n")
    # When the run begins
    state = begin(_csv_input(), _deps(s3), lambda: 900.0)
    # Then its schema comes from the mapping and its source is the CSV
    assert state.run.schema_keys == ["EMAIL"]
    assert state.run.source == "s3_csv"


@pytest.mark.parametrize(
    ("bucket", "key", "reason"),
    [(BUCKET, "sources/nowhere.csv", "(404|NoSuchKey)"), ("no-such-bucket-here", "crm.csv", "(404|NoSuchBucket)")],
)
def test_a_missing_csv_is_an_input_error(s3: Any, bucket: str, key: str, reason: str) -> None:
    with pytest.raises(InvalidReplaceInput, match=f"s3://{bucket}/{key} cannot be read: {reason}"):
        begin(_csv_input(bucket, key), _deps(s3), lambda: 900.0)


class _FailingS3:
    def __init__(self, code: str) -> None:
        self.code = code

    def head_object(self, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": self.code, "Message": "x"}}, "HeadObject")


def test_a_refused_csv_is_an_input_error_and_a_slow_s3_is_retryable() -> None:
    with pytest.raises(InvalidReplaceInput, match="cannot be read: 403"):
        begin(_csv_input(), _deps(_FailingS3("403")), lambda: 900.0)
    with pytest.raises(StagingError, match="SlowDown"):
        begin(_csv_input(), _deps(_FailingS3("SlowDown")), lambda: 900.0)

"""moto-backed S3 and DynamoDB for the replace unit tests.

One moto account per module (starting moto and building clients is most of a small test's time);
each test gets an empty bucket and no tables, and what it created is removed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support.moto_stack import REGION, UNIT_BUCKET


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        yield {"s3": boto3.client("s3", region_name=REGION), "dynamodb": boto3.client("dynamodb", region_name=REGION)}


@pytest.fixture
def s3(aws: dict[str, Any]) -> Iterator[Any]:
    client = aws["s3"]
    client.create_bucket(Bucket=UNIT_BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=UNIT_BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=UNIT_BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=UNIT_BUCKET)


@pytest.fixture
def ddb(aws: dict[str, Any]) -> Iterator[Any]:
    client = aws["dynamodb"]
    yield client
    for table in client.list_tables()["TableNames"]:
        client.delete_table(TableName=table)

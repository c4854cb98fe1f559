"""The local stack's DynamoDB applies each item write atomically, as DynamoDB does.

moto reads the item, evaluates the ConditionExpression, then writes, with nothing in between to stop a
concurrent request doing the same: two ``attribute_not_exists`` writes could both succeed, and a lead
would be stored twice. The test widens that gap (a slow condition parser) so the race is certain.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import moto.dynamodb.models as ddb_models
import moto.dynamodb.models.table as ddb_table
import pytest
from botocore.config import Config

from leadloop_cli.devstack.motoserver import MotoEndpoint


@pytest.fixture
def endpoint() -> Iterator[MotoEndpoint]:
    moto = MotoEndpoint()
    moto.start()
    yield moto
    moto.stop()


def _client(endpoint: MotoEndpoint) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(max_pool_connections=20, retries={"max_attempts": 1}),
    )


@pytest.mark.parametrize("method", ["update_item", "put_item"])
def test_only_one_of_concurrent_conditional_writes_wins(
    endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    ddb = _client(endpoint)
    ddb.create_table(
        TableName="leads",
        KeySchema=[{"AttributeName": "leadgen_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "leadgen_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for module, name in ((ddb_models, "create_condition_expression_parser"), (ddb_table, "get_filter_expression")):
        monkeypatch.setattr(module, name, _slow(getattr(module, name)))
    stored: list[str] = []
    refused: list[str] = []

    def store(writer: str) -> None:
        condition = "attribute_not_exists(leadgen_id) OR NOT (#s = :fetched)"
        names, values = {"#s": "status"}, {":fetched": {"S": "FETCHED"}}
        try:
            if method == "update_item":
                ddb.update_item(
                    TableName="leads",
                    Key={"leadgen_id": {"S": "1"}},
                    UpdateExpression="SET #s = :fetched, writer = :w",
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values | {":w": {"S": writer}},
                )
            else:
                ddb.put_item(
                    TableName="leads",
                    Item={"leadgen_id": {"S": "1"}, "status": {"S": "FETCHED"}, "writer": {"S": writer}},
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
            stored.append(writer)
        except ddb.exceptions.ConditionalCheckFailedException:
            refused.append(writer)

    threads = [threading.Thread(target=store, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(stored) == 1 and len(refused) == 3, (stored, refused)
    item = ddb.get_item(TableName="leads", Key={"leadgen_id": {"S": "1"}})["Item"]
    assert item["writer"]["S"] == stored[0]


def _slow(parse: Any) -> Any:
    """A condition parser that takes its time: the moment between moto's read of the item and its write."""

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return parse(*args, **kwargs)

    return slow


def test_it_refuses_a_moto_it_was_not_written_for(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto

    from leadloop_cli.devstack import ddb_atomic

    monkeypatch.setattr(moto, "__version__", "9.9.9")
    with pytest.raises(RuntimeError, match=r"supports moto 5\.2\.5, found 9\.9\.9"):
        ddb_atomic.install()

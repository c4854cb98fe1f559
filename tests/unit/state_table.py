"""StateTable for unit tests on moto, created from ``infra/template.yaml``'s own resource (DESIGN rule 8).

Keys, indexes, billing and TTL come from the template, so a test table cannot drift from the
deployed one.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from leadloop_cli.devstack.cfn_yaml import load_template_file

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
LOGICAL_ID = "StateTable"
_THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


@functools.cache
def state_table_properties(template: Path = TEMPLATE) -> dict[str, Any]:
    return dict(load_template_file(template)["Resources"][LOGICAL_ID]["Properties"])


def state_table_request(template: Path = TEMPLATE) -> dict[str, Any]:
    """CreateTable's arguments, without the table name, as the template defines StateTable."""
    props = state_table_properties(template)
    billing = props.get("BillingMode", "PROVISIONED")
    request: dict[str, Any] = {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = props.get("ProvisionedThroughput", _THROUGHPUT)
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return request


def state_table_ttl(template: Path = TEMPLATE) -> str | None:
    """The TTL attribute the template enables on StateTable, if any."""
    ttl = state_table_properties(template).get("TimeToLiveSpecification") or {}
    return str(ttl["AttributeName"]) if str(ttl.get("Enabled")).lower() == "true" else None


def create_state_table(client: Any, name: str, template: Path = TEMPLATE) -> None:
    client.create_table(TableName=name, **state_table_request(template))
    ttl = state_table_ttl(template)
    if ttl is not None:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})


@contextlib.contextmanager
def moto_state_table(name: str) -> Iterator[Any]:
    """A DynamoDB client on moto with StateTable created as ``name``, for a test fixture to yield."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_state_table(client, name)
        yield client

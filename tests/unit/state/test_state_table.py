"""The unit tests' StateTable is built from infra/template.yaml, so it follows whatever the template says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.unit.state_table import TEMPLATE, create_state_table, state_table_properties

OTHER_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  StateTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: id, AttributeType: S}
        - {AttributeName: at, AttributeType: N}
        - {AttributeName: kind, AttributeType: S}
      KeySchema:
        - {AttributeName: id, KeyType: HASH}
        - {AttributeName: at, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: ByKind
          KeySchema: [{AttributeName: kind, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification: {AttributeName: gone_at, Enabled: true}
"""


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def other_template(tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(OTHER_TEMPLATE, encoding="utf-8")
    return path


def test_the_key_schema_is_the_templates(ddb: Any):
    # Given the project's template, When the unit tests' table is created
    create_state_table(ddb, "state")
    # Then its key schema is the template's StateTable key schema
    table = ddb.describe_table(TableName="state")["Table"]
    assert table["KeySchema"] == state_table_properties(TEMPLATE)["KeySchema"]


def test_the_ttl_attribute_is_the_templates(ddb: Any):
    create_state_table(ddb, "state")
    ttl = ddb.describe_time_to_live(TableName="state")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == state_table_properties(TEMPLATE)["TimeToLiveSpecification"]["AttributeName"]


def test_a_changed_key_schema_in_the_template_changes_the_table(ddb: Any, other_template: Path):
    # Given a template whose StateTable is keyed differently
    # When the table is created from it
    create_state_table(ddb, "state", other_template)
    # Then the table follows it
    table = ddb.describe_table(TableName="state")["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["id", "at"]


def test_an_index_in_the_template_is_created(ddb: Any, other_template: Path):
    create_state_table(ddb, "state", other_template)
    table = ddb.describe_table(TableName="state")["Table"]
    assert [i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])] == ["ByKind"]


def test_the_ttl_attribute_follows_the_template(ddb: Any, other_template: Path):
    create_state_table(ddb, "state", other_template)
    ttl = ddb.describe_time_to_live(TableName="state")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "gone_at"

"""Template handling: short tags, intrinsics, parameters, conditions, Globals, order; on the real template too."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from leadloop_cli.devstack.cfn_yaml import CfnYamlError, load_template_text
from leadloop_cli.devstack.intrinsics import Resolver, StackContext, TemplateError, referenced_names
from leadloop_cli.devstack.provision import generate_secret_string
from leadloop_cli.devstack.template import load_template, merge_globals, resolve_parameters

REPO = Path(__file__).resolve().parents[3]
REAL_TEMPLATE = REPO / "infra" / "template.yaml"


class FakeResources:
    """Ref/GetAtt answers as CloudFormation would give them for a table, a queue and a secret."""

    def ref(self, logical_id: str) -> Any:
        return {"Table": "stack-Table-ABC", "Queue": "http://sqs/123/q", "Secret": "arn:secret:s-xyz"}[logical_id]

    def get_att(self, logical_id: str, attribute: str) -> Any:
        return f"arn:{logical_id}:{attribute}"


def resolver(parameters: dict[str, Any] | None = None, conditions: dict[str, bool] | None = None) -> Resolver:
    return Resolver(
        context=StackContext("stack"),
        parameters=parameters or {"Stage": "dev", "Names": ["a", "b"]},
        condition=(conditions or {"IsProd": False, "IsDev": True}).__getitem__,
        mappings={"Config": {"dev": {"Size": "S"}}},
        resources=FakeResources(),
    )


def test_short_tags_become_long_form() -> None:
    body = load_template_text(
        textwrap.dedent("""
        AWSTemplateFormatVersion: 2010-09-09
        Resources:
          R:
            Type: X
            Properties:
              A: !Ref Stage
              B: !GetAtt Table.StreamArn
              C: !Sub "${AWS::Region}-${Table}"
              D: !If [IsProd, !Join [",", [a, b]], !Select [0, !Split [",", "x,y"]]]
              E: !Equals [!Ref Stage, prod]
              F: !Not [!Condition IsProd]
              G: !GetAtt [Queue, Arn]
              H: !FindInMap [Config, !Ref Stage, Size]
              I: !GetAZs ""
              J: !ImportValue other-export
              K: !And [!Condition IsProd, !Or [!Condition IsDev, !Condition IsProd]]
    """)
    )
    assert body["AWSTemplateFormatVersion"] == "2010-09-09"  # not a date
    props = body["Resources"]["R"]["Properties"]
    assert props["A"] == {"Ref": "Stage"}
    assert props["B"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert props["C"] == {"Fn::Sub": "${AWS::Region}-${Table}"}
    assert props["D"]["Fn::If"][1] == {"Fn::Join": [",", ["a", "b"]]}
    assert props["F"] == {"Fn::Not": [{"Condition": "IsProd"}]}
    assert props["G"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert props["J"] == {"Fn::ImportValue": "other-export"}
    assert props["K"]["Fn::And"][1] == {"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]}
    with pytest.raises(CfnYamlError, match="no Resources"):
        load_template_text("Parameters: {}")


def test_intrinsics_resolve_like_cloudformation() -> None:
    r = resolver()
    assert r.resolve({"Ref": "AWS::StackName"}) == "stack"
    assert r.resolve({"Ref": "AWS::AccountId"}) == "123456789012"
    assert r.resolve({"Ref": "AWS::URLSuffix"}) == "amazonaws.com"
    assert r.resolve({"Ref": "AWS::Partition"}) == "aws"
    assert r.resolve({"Ref": "Table"}) == "stack-Table-ABC"
    assert r.resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == "arn:Queue:Arn"
    sub = {"Fn::Sub": "${AWS::Region}/${Table}/${Queue.Arn}/${!Literal}/${Stage}"}
    assert r.resolve(sub) == "us-east-1/stack-Table-ABC/arn:Queue:Arn/${Literal}/dev"
    assert r.resolve({"Fn::Sub": ["${x}-${Stage}", {"x": {"Ref": "Secret"}}]}) == "arn:secret:s-xyz-dev"
    assert r.resolve({"Fn::Join": ["|", [{"Ref": "Stage"}, "b"]]}) == "dev|b"
    assert r.resolve({"Fn::Select": ["1", {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert r.resolve({"Fn::Select": [1, {"Ref": "Names"}]}) == "b"
    assert r.resolve({"Fn::FindInMap": ["Config", {"Ref": "Stage"}, "Size"]}) == "S"
    assert r.resolve({"Fn::GetAZs": ""}) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert r.resolve({"Fn::Base64": "hi"}) == "aGk="
    assert r.resolve({"Fn::If": ["IsProd", "p", "d"]}) == "d"
    assert r.resolve({"Fn::Equals": [{"Ref": "Stage"}, "dev"]}) is True
    assert r.resolve({"Fn::And": [{"Condition": "IsDev"}, {"Fn::Not": [{"Condition": "IsProd"}]}]}) is True
    assert r.resolve({"Fn::Or": [{"Condition": "IsProd"}, {"Fn::Equals": [1, "1"]}]}) is True
    # AWS::NoValue removes the key or the list element
    no_value = {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]}
    assert r.resolve({"keep": 1, "drop": no_value}) == {"keep": 1}
    assert r.resolve(["a", no_value, "b"]) == ["a", "b"]


def test_intrinsic_errors_are_clear() -> None:
    r = resolver()
    with pytest.raises(TemplateError, match="ImportValue"):
        r.resolve({"Fn::ImportValue": "x"})
    with pytest.raises(TemplateError, match=r"no Nope\.dev\.Size"):
        r.resolve({"Fn::FindInMap": ["Nope", "dev", "Size"]})
    with pytest.raises(TemplateError, match="unsupported intrinsic function Fn::Cidr"):
        r.resolve({"Fn::Cidr": ["10.0.0.0/16", 2, 8]})
    assert referenced_names({"Fn::Sub": ["${A}-${B.Arn}-${v}-${!C}", {"v": {"Ref": "D"}}]}) == {"A", "B", "D"}


def test_parameters_are_validated_strings() -> None:
    declarations = {
        "Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
        "Days": {"Type": "Number", "Default": 365, "MinValue": 1},
        "Version": {"Type": "String", "Default": "v26.0", "AllowedPattern": "^v\\d+\\.\\d+$"},
        "Ids": {"Type": "CommaDelimitedList", "Default": "a, b"},
    }
    assert resolve_parameters(declarations) == {"Stage": "dev", "Days": "365", "Version": "v26.0", "Ids": ["a", "b"]}
    assert resolve_parameters(declarations, {"Stage": "prod"})["Stage"] == "prod"
    for overrides, message in (
        ({"Stage": "staging"}, "not one of"),
        ({"Days": "0"}, "less than MinValue"),
        ({"Days": "many"}, "not a Number"),
        ({"Version": "26"}, "AllowedPattern"),
        ({"Unknown": "x"}, "do not exist"),
    ):
        with pytest.raises(TemplateError, match=message):
            resolve_parameters(declarations, overrides)
    with pytest.raises(TemplateError, match="has no Default"):
        resolve_parameters({"Required": {"Type": "String"}})


def test_globals_merge_rules() -> None:
    global_props = {
        "Timeout": 30,
        "Layers": [{"Ref": "Common"}],
        "Environment": {"Variables": {"A": "g", "B": "g"}},
        "Tracing": "Active",
    }
    local_props = {"Timeout": 900, "Layers": [{"Ref": "Extra"}], "Environment": {"Variables": {"B": "l", "C": "l"}}}
    merged = merge_globals(global_props, local_props)
    assert merged["Timeout"] == 900 and merged["Tracing"] == "Active"
    assert merged["Layers"] == [{"Ref": "Common"}, {"Ref": "Extra"}]
    assert merged["Environment"]["Variables"] == {"A": "g", "B": "l", "C": "l"}
    # an intrinsic is opaque: the local value wins whole
    assert merge_globals({"Environment": {"Variables": {"A": "g"}}}, {"Environment": {"Fn::If": ["C", {}, {}]}})[
        "Environment"
    ] == {"Fn::If": ["C", {}, {}]}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_conditions_resources_and_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        Parameters:
          Stage: {Type: String, Default: dev}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
          IsDev: !Not [!Condition IsProd]
        Globals:
          Function:
            Timeout: 5
            Environment: {Variables: {TABLE: !Ref Table}}
        Resources:
          Queue:
            Type: AWS::SQS::Queue
            Properties:
              RedrivePolicy: {deadLetterTargetArn: !GetAtt DLQ.Arn, maxReceiveCount: 3}
          DLQ: {Type: AWS::SQS::Queue}
          Table: {Type: AWS::DynamoDB::Table, Properties: {}}
          ProdOnly: {Type: AWS::SQS::Queue, Condition: IsProd}
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: x
              Events:
                Q: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
    """,
    )
    template = load_template(path, stack_name="s")
    assert template.conditions == {"IsProd": False, "IsDev": True}
    assert set(template.resources) == {"Queue", "DLQ", "Table", "Fn"}
    assert template.skipped == {"ProdOnly": "condition IsProd is false"}
    order = template.provisioning_order()
    assert order.index("DLQ") < order.index("Queue")
    assert order.index("Table") < order.index("Fn")
    assert template.resources["Fn"].depends_on == {"Table"}  # Events are wired later, not dependencies
    assert template.resources["Fn"].properties["Timeout"] == 5
    prod = load_template(path, stack_name="s", parameter_overrides={"Stage": "prod"})
    assert "ProdOnly" in prod.resources


def test_cycles_and_unknown_references_fail(tmp_path: Path) -> None:
    cyclic = _write(
        tmp_path,
        """
        Resources:
          A: {Type: AWS::SQS::Queue, Properties: {QueueName: !GetAtt B.QueueName}}
          B: {Type: AWS::SQS::Queue, Properties: {QueueName: !GetAtt A.QueueName}}
    """,
    )
    with pytest.raises(TemplateError, match="circular dependency: A -> B -> A"):
        load_template(cyclic, stack_name="s").provisioning_order()
    unknown = _write(
        tmp_path,
        """
        Resources:
          A: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref Missing}}
    """,
    )
    with pytest.raises(TemplateError, match="unknown names: Missing"):
        load_template(unknown, stack_name="s")


def test_real_template_loads_with_globals_merged() -> None:
    template = load_template(REAL_TEMPLATE, stack_name="leadloop-local")
    fetch = template.resources["LeadFetchFunction"]
    variables = fetch.properties["Environment"]["Variables"]
    assert variables["FETCH_RETRY_QUEUE_URL"] == {"Ref": "FetchRetryQueue"}  # the function's own
    assert variables["GRAPH_BASE_URL"] == {"Ref": "GraphBaseUrl"}  # from Globals
    assert variables["META_SECRET_ARN"] == {"Ref": "MetaSecret"}
    assert fetch.properties["Layers"] == [{"Ref": "CommonLayer"}]
    assert fetch.properties["Runtime"] == "python3.13"
    assert {"MetaSecret", "RoutingParameter", "LeadsTable", "CommonLayer"} <= fetch.depends_on
    order = template.provisioning_order()
    assert order.index("FetchRetryDLQ") < order.index("FetchRetryQueue")
    assert template.conditions["IsProd"] is False
    resolved = template.resolver().resolve(template.resources["LeadsTable"].properties["DeletionProtectionEnabled"])
    assert resolved is False
    prod = load_template(REAL_TEMPLATE, stack_name="s", parameter_overrides={"Stage": "prod"})
    assert prod.resolver().resolve(prod.resources["LeadsTable"].properties["DeletionProtectionEnabled"]) is True


def test_generate_secret_string() -> None:
    value = generate_secret_string(
        {
            "SecretStringTemplate": '{"app_secret": "REPLACE_ME"}',
            "GenerateStringKey": "verify_token",
            "PasswordLength": 40,
            "ExcludePunctuation": True,
        }
    )
    import json

    document = json.loads(value)
    assert document["app_secret"] == "REPLACE_ME"
    token = document["verify_token"]
    assert len(token) == 40 and token.isalnum()
    assert any(c.isupper() for c in token) and any(c.islower() for c in token) and any(c.isdigit() for c in token)
    digits = generate_secret_string(
        {"PasswordLength": 12, "ExcludeLowercase": True, "ExcludeUppercase": True, "ExcludePunctuation": True}
    )
    assert len(digits) == 12 and digits.isdigit()

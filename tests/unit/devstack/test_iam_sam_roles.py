"""Roles built as SAM builds them (the comparison with SAM's own transform is in tests/infra)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from leadloop_cli.devstack.iam import sam_roles
from leadloop_cli.devstack.iam.sam_roles import expand_policy_template, function_role, state_machine_role
from leadloop_cli.devstack.intrinsics import TemplateError

ROOT = Path(__file__).resolve().parents[3]
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
XRAY = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"


def _same(value: Any) -> Any:
    return value


def test_the_vendored_templates_are_the_ones_sam_deploys_with() -> None:
    installed = sorted(ROOT.glob(".venv-sam/lib/python3*/site-packages/samtranslator/policy_templates_data/*.json"))
    if not installed:
        pytest.skip(".venv-sam (SAM CLI) is not set up")
    vendored = sam_roles.TEMPLATES_FILE.read_bytes()
    assert hashlib.sha256(vendored).digest() == hashlib.sha256(installed[0].read_bytes()).digest(), (
        "aws-sam-translator changed its policy templates: copy the new file into devstack/iam/sam/ (see its README)"
    )


def test_a_policy_template_gets_its_parameter_values_and_only_those() -> None:
    queue = {"Fn::GetAtt": ["Queue", "QueueName"]}
    expanded = expand_policy_template("SQSSendMessagePolicy", {"QueueName": queue, "Extra": "ignored"})
    [statement] = expanded["Statement"]
    assert statement["Action"] == ["sqs:SendMessage*"]
    assert statement["Resource"]["Fn::Sub"][1] == {"queueName": queue}


def test_a_policy_template_without_a_parameter_is_refused() -> None:
    with pytest.raises(TemplateError, match="SecretArn"):
        expand_policy_template("AWSSecretsManagerGetSecretValuePolicy", {})


def test_a_function_role_numbers_its_policies_and_adds_what_sam_adds() -> None:
    statement = {"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}
    conditional = {"Fn::If": ["HasBucket", {"S3ReadPolicy": {"BucketName": "b"}}, {"Ref": "AWS::NoValue"}]}
    properties = {
        "Tracing": "Active",
        "Policies": [statement, "arn:aws:iam::123456789012:policy/Custom", conditional],
        "Events": {
            "Work": {"Type": "SQS", "Properties": {"Queue": "q"}},
            "Changes": {
                "Type": "DynamoDB",
                "Properties": {"DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": "dlq-arn"}}},
            },
            "Hourly": {"Type": "ScheduleV2", "Properties": {}},
        },
    }
    role = function_role("Fn", properties, resolve=_same)
    assert role is not None and role.logical_id == "FnRole"
    assert role.trust["Statement"][0]["Principal"] == {"Service": ["lambda.amazonaws.com"]}
    assert role.policies[0] == {"PolicyName": "FnRolePolicy0", "PolicyDocument": statement}
    condition, then, otherwise = role.policies[1]["Fn::If"]
    assert (condition, then["PolicyName"], otherwise) == ("HasBucket", "FnRolePolicy2", {"Ref": "AWS::NoValue"})
    assert then["PolicyDocument"]["Statement"][0]["Action"] == [
        "s3:GetObject",
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:GetObjectVersion",
        "s3:GetLifecycleConfiguration",
    ]
    assert role.policies[2] == {
        "PolicyName": "FnChangesSQSPolicy",
        "PolicyDocument": {"Statement": [{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": "dlq-arn"}]},
    }
    assert role.managed_policy_arns == [
        BASIC,
        XRAY,
        "arn:aws:iam::123456789012:policy/Custom",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
    ]


def test_a_function_with_its_own_role_gets_none_generated() -> None:
    assert function_role("Fn", {"Role": "arn:aws:iam::123456789012:role/x"}, resolve=_same) is None


def test_disabled_tracing_adds_no_xray_policy() -> None:
    role = function_role("Fn", {"Tracing": {"Ref": "Mode"}}, resolve=lambda _: "Disabled")
    assert role is not None and role.managed_policy_arns == [BASIC]


def test_a_state_machine_role_is_trusted_by_step_functions_and_traced_when_asked() -> None:
    properties = {"Policies": [{"LambdaInvokePolicy": {"FunctionName": "f"}}], "Tracing": {"Enabled": True}}
    role = state_machine_role("Machine", properties)
    assert role is not None
    assert role.trust["Statement"][0]["Principal"] == {"Service": ["states.amazonaws.com"]}
    assert [p["PolicyName"] for p in role.policies] == ["MachineRolePolicy0"]
    assert role.managed_policy_arns == [XRAY]


def test_an_unknown_policy_shape_is_refused_as_sam_refuses_it() -> None:
    with pytest.raises(TemplateError, match=r"Fn.Policies\[0\]"):
        function_role("Fn", {"Policies": [{"NoSuchTemplate": {}}]}, resolve=_same)

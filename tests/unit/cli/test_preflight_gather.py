"""Preflight's reads against a deployed stack (moto): parameters, roles, reservations, secret, routing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadloop_cli.preflight.facts import AccountConcurrency, SecretShape
from leadloop_cli.preflight.gather import deployed_stack, gather
from leadloop_cli.target import Target

REGION = "eu-west-1"
SECRET = json.dumps({"app_secret": "REPLACE_ME", "verify_token": "generated-0123", "access_token": "REPLACE_ME"})
TEMPLATE = {
    "Parameters": {"LeadFetchReservedConcurrency": {"Type": "Number", "Default": 0}},
    "Resources": {
        "RoutingParameter": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": "/leadloop-dev/routing", "Type": "String", "Value": '{"version": 1, "forms": []}'},
        },
        "LeadFetchFunctionRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        },
        "LeadFetchFunction": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.13",
                "Handler": "app.handler",
                "Role": {"Fn::GetAtt": ["LeadFetchFunctionRole", "Arn"]},
                "Code": {"ZipFile": "def handler(event, context):\n    return None\n"},
            },
        },
    },
}


class AccountSettings:
    """moto serves no GetAccountSettings: the figures a real account would answer."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_account_settings(self) -> dict[str, Any]:
        return {"AccountLimit": {"ConcurrentExecutions": 400, "UnreservedConcurrentExecutions": 370}}


class MotoTarget(Target):
    def client(self, service: str) -> Any:
        client = self.session.client(service)  # type: ignore[call-overload]
        return AccountSettings(client) if service == "lambda" else client


@pytest.fixture
def target() -> Iterator[Target]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        session.client("cloudformation").create_stack(
            StackName="leadloop-dev",
            TemplateBody=json.dumps(TEMPLATE),
            Parameters=[{"ParameterKey": "LeadFetchReservedConcurrency", "ParameterValue": "30"}],
            Capabilities=["CAPABILITY_IAM"],
        )
        yield MotoTarget(session, stack_name="leadloop-dev")


def test_a_new_stack_is_no_stack_yet(target: Target):
    found = deployed_stack(target, "leadloop-prod", REGION)
    assert found.failure is None and found.value is not None
    assert found.value.status is None and not found.value.exists


def test_an_existing_stack_is_read_in_full(target: Target):
    stack = deployed_stack(target, "leadloop-dev", REGION).value
    assert stack is not None and stack.status == "CREATE_COMPLETE"
    assert stack.parameters == {"LeadFetchReservedConcurrency": "30"}
    role = stack.resources["LeadFetchFunctionRole"]
    assert stack.role_names == {role}
    function = stack.resources["LeadFetchFunction"]
    target.client("lambda").put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=30)
    # moto's CloudFormation cannot create a secret: make it beside the stack and list it as the stack's.
    secret = target.client("secretsmanager").create_secret(Name="leadloop-dev/meta", SecretString=SECRET)["ARN"]
    stack = replace(stack, resources={**stack.resources, "MetaSecret": secret})

    facts = gather(target, stack)
    assert facts.identity.value == "123456789012"
    assert facts.reserved_now == {"LeadFetchFunction": 30}
    assert facts.concurrency.value == AccountConcurrency(limit=400, unreserved=370)
    assert facts.logging_role.failure is None and facts.logging_role.value is None
    assert facts.secret is not None
    assert facts.secret.value == SecretShape(placeholders=("app_secret", "access_token"))
    assert facts.routing is not None and facts.routing.value == '{"version": 1, "forms": []}'
    assert {name: read.failure for name, read in facts.services.items()} == {"stepfunctions": None, "scheduler": None}
    assert "generated-0123" not in repr(facts)

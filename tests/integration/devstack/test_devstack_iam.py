"""The local stack enforces IAM: each function's code runs with its own role, as SAM builds it.

One probe handler (``iam/probe``) makes the call an event names and answers what AWS said; two functions
run it under different roles. What the role grants succeeds, what it does not fails with the error code
AWS sends (``AccessDeniedException``, or ``AccessDenied`` for S3 and SQS): the policy templates, inline
statements, ``Fn::If``, SQS batches authorised by their single actions, S3 and SQS resources. A state
machine whose role may not invoke functions fails its task. Operators get the admin user's key; any
other key is refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from leadloop_cli.devstack import LocalStack
from leadloop_cli.devstack.iam import sfn_identity
from tests.integration.devstack.devstack_support import StubGraphSimulator

TEMPLATE = Path(__file__).with_name("iam") / "template.yaml"
#: Each refusal as the service's protocol carries it (what botocore reports as the error code on AWS).
REFUSALS = {
    "dynamodb:PutItem": "AccessDeniedException",
    "dynamodb:DeleteItem": "AccessDeniedException",
    "sqs:SendMessageBatch": "AccessDenied",
    "sqs:DeleteMessageBatch": "AccessDenied",
    "sqs:SendMessage(other)": "AccessDenied",
    "s3:PutObject(granted)": "AccessDenied",
    "s3:PutObject(other)": "AccessDenied",
    "secretsmanager:GetSecretValue": "AccessDeniedException",
    "ssm:GetParameter": "AccessDeniedException",
    "cloudwatch:PutMetricData": "AccessDeniedException",
}
REFUSED_CALLS = ["dynamodb:DeleteItem", "sqs:SendMessage(other)", "s3:PutObject(other)", "ssm:GetParameter"]

GRANTED_CALLS = [
    "dynamodb:PutItem",
    "sqs:SendMessageBatch",
    "sqs:DeleteMessageBatch",
    "s3:PutObject(granted)",
    "secretsmanager:GetSecretValue",
    "cloudwatch:PutMetricData",
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    tmp = tmp_path_factory.mktemp("iam")
    with LocalStack(
        TEMPLATE, log_file=tmp / "devstack.log", write_state_file=False, seed=False, graph_factory=StubGraphSimulator
    ) as running:
        yield running


def probe(stack: LocalStack, function: str, calls: list[str]) -> dict[str, Any]:
    """What AWS answered each call ``function`` made ("ok" or the error code)."""
    result = stack.invoke(function, {"calls": calls})
    assert not result.errored, result.payload
    answer: dict[str, Any] = result.json()
    return answer


def test_a_function_may_make_the_calls_its_role_grants(stack: LocalStack) -> None:
    assert probe(stack, "GrantedFunction", GRANTED_CALLS) == dict.fromkeys(GRANTED_CALLS, "ok")


def test_a_call_its_role_does_not_grant_is_refused_with_access_denied(stack: LocalStack) -> None:
    answers = probe(stack, "GrantedFunction", REFUSED_CALLS)
    assert answers == {call: REFUSALS[call] for call in REFUSED_CALLS}


def test_the_same_code_under_a_role_without_the_grants_is_refused(stack: LocalStack) -> None:
    answers = probe(stack, "BareFunction", [*GRANTED_CALLS, "sqs:SendMessage(other)"])
    assert answers.pop("sqs:SendMessage(other)") == "ok"
    assert answers == {call: REFUSALS[call] for call in GRANTED_CALLS}


def test_a_state_machine_whose_role_may_not_invoke_the_function_fails_its_task(stack: LocalStack) -> None:
    assert sfn_identity.installed()
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=stack.resources["UnauthorisedMachine"], input="{}")
    deadline = time.monotonic() + 30
    while (status := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish"
        time.sleep(0.2)
    assert status["status"] == "FAILED"
    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    failure = json.dumps([event for event in history if "Failed" in event["type"]], default=str)
    assert "is not authorized to perform: lambda:InvokeFunction" in failure, failure


def test_a_poller_reads_its_queue_with_the_function_role_and_is_refused_without_the_grant(
    stack: LocalStack,
) -> None:
    """Lambda's SQS poller signs with the function's execution role: a role that may not receive reads nothing."""
    [poller] = [p for p in stack.sqs_pollers if p.source.function == "DeafFunction"]
    queue_url = poller.source.queue_url
    stack.client("sqs").send_message(QueueUrl=queue_url, MessageBody="{}")
    log = Path(stack.log_file)
    deadline = time.monotonic() + 20
    while f"sqs poller {poller.source.tag}: ClientError" not in log.read_text():
        assert time.monotonic() < deadline, "the poller was never refused"
        time.sleep(0.2)
    assert "AccessDenied" in log.read_text()
    attributes = stack.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_operators_use_the_admin_key_and_any_other_key_is_refused(stack: LocalStack) -> None:
    document = stack.describe()
    assert document["iam_enforced"] is True
    admin = boto3.client(
        "sqs",
        endpoint_url=stack.aws_endpoint_url,
        region_name=stack.region,
        aws_access_key_id=document["aws_access_key_id"],
        aws_secret_access_key=document["aws_secret_access_key"],
    )
    assert admin.get_queue_url(QueueName=stack.attribute("Queue", "QueueName"))["QueueUrl"]
    stranger = boto3.client(
        "sqs",
        endpoint_url=stack.aws_endpoint_url,
        region_name=stack.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with pytest.raises(ClientError) as refused:
        stranger.list_queues()
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as unknown:
        boto3.client(
            "dynamodb",
            endpoint_url=stack.aws_endpoint_url,
            region_name=stack.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).list_tables()
    assert unknown.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_each_role_holds_the_policies_sam_would_give_it(stack: LocalStack) -> None:
    assert stack.provisioned is not None
    role = stack.provisioned.roles["BareFunction"]
    assert role.name == stack.resources["BareFunctionRole"]
    [(name, document)] = role.policies.items()
    assert name == "BareFunctionRolePolicy0"
    queue_arn = stack.attribute("OtherQueue", "Arn")
    assert document == {"Statement": [{"Action": ["sqs:SendMessage*"], "Effect": "Allow", "Resource": queue_arn}]}
    assert role.managed_policy_arns == ("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",)
    attached = stack.client("iam").list_role_policies(RoleName=role.name)["PolicyNames"]
    assert sorted(attached) == ["AWSLambdaBasicExecutionRole", "BareFunctionRolePolicy0"]

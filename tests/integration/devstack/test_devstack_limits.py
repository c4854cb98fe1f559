"""Limits and names AWS enforces, on the running local stack: what moto checks itself and what the stack adds.

Added by the stack (``motorules``, ``lambda_hook``): SQS sizes in UTF-8 bytes with attributes, 1 MiB
batches, Lambda's 6 MB request, Step Functions' 256 KB execution input and Lambda task payload, and
generated execution names.
Already moto's: SQS's default ``MaximumMessageSize``, DynamoDB's item size, Step Functions' state
output size (each pinned here, so a moto upgrade that drops one fails a test).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from leadloop_cli.devstack import LocalStack
from tests.integration.devstack.devstack_support import calls, wait_for

KIB = 1024
AUDIENCE_QUEUE_MAX = 262_144  # infra/template.yaml AudienceQueue MaximumMessageSize
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


# ------------------------------------------------------------------------------------------ SQS


def _queue(stack: LocalStack, **attributes: str) -> str:
    name = f"limits-{uuid.uuid4().hex[:8]}"
    return str(stack.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def test_a_queue_without_a_maximum_takes_aws_default_of_1_mib(stack: LocalStack) -> None:
    sqs = stack.client("sqs")
    url = _queue(stack)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MaximumMessageSize"])["Attributes"]
    assert attributes["MaximumMessageSize"] == "1048576"
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_576)
    with pytest.raises(ClientError) as refused:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577)
    assert _error_code(refused) == "InvalidParameterValue"


def test_a_256_kib_queue_counts_utf8_bytes_and_attributes(stack: LocalStack) -> None:
    sqs = stack.client("sqs")
    url = _queue(stack, MaximumMessageSize=str(AUDIENCE_QUEUE_MAX))
    sqs.send_message(QueueUrl=url, MessageBody="x" * AUDIENCE_QUEUE_MAX)
    reason = {"reason": {"DataType": "String", "StringValue": "r" * 100}}  # 6 + 6 + 100 bytes
    sqs.send_message(QueueUrl=url, MessageBody="x" * (AUDIENCE_QUEUE_MAX - 112), MessageAttributes=reason)
    too_large: list[dict[str, Any]] = [
        {"MessageBody": "x" * (AUDIENCE_QUEUE_MAX + 1)},
        {"MessageBody": "é" * (AUDIENCE_QUEUE_MAX // 2 + 1)},  # fewer characters than the limit, more bytes
        {"MessageBody": "x" * (AUDIENCE_QUEUE_MAX - 111), "MessageAttributes": reason},
    ]
    for message in too_large:
        with pytest.raises(ClientError, match="Message must be shorter than 262144 bytes") as refused:
            sqs.send_message(QueueUrl=url, **message)
        assert _error_code(refused) == "InvalidParameterValue"
        with pytest.raises(ClientError, match="Message must be shorter than 262144 bytes"):
            sqs.send_message_batch(
                QueueUrl=url, Entries=[{"Id": "ok", "MessageBody": "small"}, {"Id": "big", **message}]
            )
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        == "2"
    )  # nothing of a refused batch was queued


def test_a_batch_carries_at_most_1_mib_of_utf8_bytes(stack: LocalStack) -> None:
    sqs = stack.client("sqs")
    url = _queue(stack)
    half = [{"Id": str(n), "MessageBody": "é" * (256 * KIB)} for n in range(2)]  # 512 KiB each, in bytes
    sqs.send_message_batch(QueueUrl=url, Entries=half)
    with pytest.raises(ClientError, match="You have sent 1048577 bytes") as refused:
        sqs.send_message_batch(QueueUrl=url, Entries=[*half, {"Id": "more", "MessageBody": "x"}])
    assert _error_code(refused) == "AWS.SimpleQueueService.BatchRequestTooLong"  # SQS's query-compatible code


# ------------------------------------------------------------------------------------- DynamoDB


def test_dynamodb_refuses_items_over_400_kb_on_every_write_path(stack: LocalStack) -> None:
    """moto's own check (it allows 405,000 bytes by its count; AWS 409,600 bytes): pinned, not added."""
    ddb = stack.client("dynamodb")
    table = f"limits-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    big = {"S": "x" * (410 * KIB)}
    ddb.put_item(TableName=table, Item={"pk": {"S": "fits"}, "blob": {"S": "x" * (390 * KIB)}})
    with pytest.raises(ClientError, match="Item size has exceeded the maximum allowed size"):
        ddb.put_item(TableName=table, Item={"pk": {"S": "big"}, "blob": big})
    with pytest.raises(ClientError, match="Item size to update has exceeded the maximum allowed size"):
        ddb.update_item(
            TableName=table,
            Key={"pk": {"S": "fits"}},
            UpdateExpression="SET more = :more",
            ExpressionAttributeValues={":more": {"S": "y" * (20 * KIB)}},
        )
    with pytest.raises(ClientError, match="Item size has exceeded the maximum allowed size"):
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "b"}, "blob": big}}}]})
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "t"}, "blob": big}}}])
    assert ddb.scan(TableName=table, Select="COUNT")["Count"] == 1


# ------------------------------------------------------------------------------- Step Functions


def _machine(stack: LocalStack, definition: dict[str, Any]) -> str:
    sfn = stack.client("stepfunctions")
    role = sfn.describe_state_machine(stateMachineArn=stack.resources["Workflow"])["roleArn"]
    name = f"limits-{uuid.uuid4().hex[:8]}"
    return str(sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)["stateMachineArn"])


def _finished(stack: LocalStack, execution_arn: str) -> dict[str, Any]:
    sfn = stack.client("stepfunctions")
    done: dict[str, Any] = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution_arn))["status"] != "RUNNING" and d, timeout=20
    )
    return done


NAME_ECHO = {
    "StartAt": "Name",
    "States": {"Name": {"Type": "Pass", "Parameters": {"run.$": "$$.Execution.Name"}, "End": True}},
}


def test_an_execution_started_without_a_name_gets_a_uuid(stack: LocalStack) -> None:
    machine = _machine(stack, NAME_ECHO)
    started = stack.client("stepfunctions").start_execution(stateMachineArn=machine, input="{}")
    name = started["executionArn"].rsplit(":", 1)[1]
    assert UUID.match(name), started["executionArn"]
    done = _finished(stack, started["executionArn"])
    assert done["name"] == name and done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"run": name}  # $$.Execution.Name is the generated name
    named = stack.client("stepfunctions").start_execution(stateMachineArn=machine, name="chosen", input="{}")
    assert named["executionArn"].endswith(":chosen")


def test_execution_input_is_at_most_256_kib(stack: LocalStack) -> None:
    sfn = stack.client("stepfunctions")
    machine = _machine(stack, NAME_ECHO)
    fits = json.dumps({"blob": "x" * (200 * KIB)})
    assert _finished(stack, sfn.start_execution(stateMachineArn=machine, input=fits)["executionArn"])["status"] == (
        "SUCCEEDED"
    )
    over = json.dumps("é" * (128 * KIB))  # 131,074 characters, 262,146 bytes
    with pytest.raises(ClientError, match="less than or equal to 262144") as refused:
        sfn.start_execution(stateMachineArn=machine, input=over)
    assert _error_code(refused) == "ValidationException"


def test_a_state_output_over_256_kib_fails_the_execution(stack: LocalStack) -> None:
    """moto's own check (States.DataLimitExceeded on a state's output): pinned, not added."""
    doubled = {
        "StartAt": "Double",
        "States": {"Double": {"Type": "Pass", "Parameters": {"a.$": "$.blob", "b.$": "$.blob"}, "End": True}},
    }
    machine = _machine(stack, doubled)
    started = stack.client("stepfunctions").start_execution(
        stateMachineArn=machine, input=json.dumps({"blob": "x" * (150 * KIB)})
    )
    done = _finished(stack, started["executionArn"])
    assert done["status"] == "FAILED" and done["error"] == "States.DataLimitExceeded"


def test_a_lambda_task_payload_over_256_kib_fails_before_lambda_runs(stack: LocalStack) -> None:
    run = f"big-{uuid.uuid4().hex[:8]}"
    doubled_payload = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": stack.attribute("TaskFunction", "Arn"),
                    "Payload": {"run": run, "a.$": "$.blob", "b.$": "$.blob"},
                },
                "End": True,
            }
        },
    }
    machine = _machine(stack, doubled_payload)
    started = stack.client("stepfunctions").start_execution(
        stateMachineArn=machine, input=json.dumps({"blob": "x" * (150 * KIB)})
    )
    done = _finished(stack, started["executionArn"])
    assert done["status"] == "FAILED" and done["error"] == "States.DataLimitExceeded"
    assert not [call for call in calls(stack, "task") if call.get("run") == run]  # Lambda never ran


# --------------------------------------------------------------------------------------- Lambda


def test_an_invoke_over_6_mb_is_refused_before_the_function_runs(stack: LocalStack) -> None:
    lam = stack.client("lambda")
    with pytest.raises(ClientError, match="Request must be smaller than 6291456 bytes") as refused:
        lam.invoke(FunctionName=stack.resources["EchoFunction"], Payload=json.dumps("x" * (6 * KIB * KIB)).encode())
    assert _error_code(refused) == "RequestEntityTooLargeException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_a_response_over_6_mb_is_a_function_error(stack: LocalStack) -> None:
    # The echo handler returns its event and its environment: more than the 6 MB it was sent.
    answer = stack.client("lambda").invoke(
        FunctionName=stack.resources["EchoFunction"], Payload=json.dumps({"blob": "x" * (6 * KIB * KIB - 100)}).encode()
    )
    assert "FunctionError" in answer
    assert json.loads(answer["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"

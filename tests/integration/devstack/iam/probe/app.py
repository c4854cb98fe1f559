"""Makes the one AWS call the event names, with the function's own credentials; answers what AWS said."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError


def _call(name: str) -> Any:
    env = os.environ
    if name == "dynamodb:PutItem":
        return boto3.client("dynamodb").put_item(TableName=env["TABLE"], Item={"id": {"S": "probe"}})
    if name == "dynamodb:DeleteItem":
        return boto3.client("dynamodb").delete_item(TableName=env["TABLE"], Key={"id": {"S": "probe"}})
    if name == "sqs:SendMessageBatch":
        entries = [{"Id": "a", "MessageBody": "a"}, {"Id": "b", "MessageBody": "b"}]
        return boto3.client("sqs").send_message_batch(QueueUrl=env["QUEUE_URL"], Entries=entries)
    if name == "sqs:DeleteMessageBatch":
        sqs = boto3.client("sqs")
        messages = sqs.receive_message(QueueUrl=env["QUEUE_URL"], MaxNumberOfMessages=10).get("Messages", [])
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        return sqs.delete_message_batch(QueueUrl=env["QUEUE_URL"], Entries=entries) if entries else {}
    if name == "sqs:SendMessage(other)":
        return boto3.client("sqs").send_message(QueueUrl=env["OTHER_QUEUE_URL"], MessageBody="x")
    if name == "s3:PutObject(granted)":
        return boto3.client("s3").put_object(Bucket=env["BUCKET"], Key="granted/a", Body=b"a")
    if name == "s3:PutObject(other)":
        return boto3.client("s3").put_object(Bucket=env["BUCKET"], Key="other/a", Body=b"a")
    if name == "secretsmanager:GetSecretValue":
        return boto3.client("secretsmanager").get_secret_value(SecretId=env["SECRET_ARN"])
    if name == "cloudwatch:PutMetricData":
        metric = {"MetricName": "Probe", "Value": 1.0}
        return boto3.client("cloudwatch").put_metric_data(Namespace="probe", MetricData=[metric])
    if name == "ssm:GetParameter":
        return boto3.client("ssm").get_parameter(Name=env["PARAMETER"])
    raise ValueError(f"unknown call {name}")


def handler(event: Any, context: Any) -> Any:
    answers: dict[str, str] = {}
    for name in event["calls"]:
        try:
            _call(name)
            answers[name] = "ok"
        except ClientError as exc:
            answers[name] = str(exc.response["Error"]["Code"])
    return answers

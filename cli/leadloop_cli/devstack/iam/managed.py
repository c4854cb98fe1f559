"""The AWS managed policies SAM attaches to the roles it generates, as AWS publishes them.

moto can load every AWS managed policy (``iam.load_aws_managed_policies``), but that is a 4.7 MB
document parsed at each start; the local stack only ever needs the few SAM adds on its own. A managed
policy not listed here is reported and left out, so its grants are missing locally (an AccessDenied
where AWS would allow), never added.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MANAGED_POLICIES", "managed_policy_arn", "managed_policy_document", "managed_policy_name"]

_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


def _allow(actions: list[str]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}


#: name -> (path, document)
MANAGED_POLICIES: dict[str, tuple[str, dict[str, Any]]] = {
    "AWSLambdaBasicExecutionRole": ("service-role/", _allow(_LOGS)),
    "AWSLambdaSQSQueueExecutionRole": (
        "service-role/",
        _allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *_LOGS]),
    ),
    "AWSLambdaDynamoDBExecutionRole": (
        "service-role/",
        _allow(
            [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                *_LOGS,
            ]
        ),
    ),
    "AWSLambdaKinesisExecutionRole": (
        "service-role/",
        _allow(
            [
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards",
                "kinesis:ListStreams",
                "kinesis:SubscribeToShard",
                *_LOGS,
            ]
        ),
    ),
    "AWSXrayWriteOnlyAccess": (
        "",
        _allow(
            [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ]
        ),
    ),
    "AmazonAPIGatewayPushToCloudWatchLogs": (
        "service-role/",
        _allow(
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "logs:GetLogEvents",
                "logs:FilterLogEvents",
            ]
        ),
    ),
}


def managed_policy_arn(name: str, partition: str = "aws") -> str:
    """The ARN of an AWS managed policy by name (SAM's ``ArnGenerator.generate_aws_managed_policy_arn``)."""
    path = MANAGED_POLICIES[name][0] if name in MANAGED_POLICIES else ""
    return f"arn:{partition}:iam::aws:policy/{path}{name}"


def managed_policy_name(arn: str) -> str | None:
    """The name of an AWS managed policy ARN (``arn:*:iam::aws:policy/...``), else None."""
    head, _, name = arn.rpartition("/")
    if ":iam::aws:policy" not in head:
        return None
    return name


def managed_policy_document(arn: str) -> dict[str, Any] | None:
    """The document of an AWS managed policy this module knows, else None."""
    name = managed_policy_name(arn)
    if name is None or name not in MANAGED_POLICIES:
        return None
    return MANAGED_POLICIES[name][1]

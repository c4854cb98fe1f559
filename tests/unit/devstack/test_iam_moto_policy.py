"""Policies rewritten for moto decide each request as AWS would, judged by moto's own evaluator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from leadloop_cli.devstack.iam.moto_policy import for_moto, iam_pattern_matches

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/leads"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:work"


def _decide(document: dict[str, Any], action: str, resource: str = "*") -> PermissionResult:
    result: PermissionResult = IAMPolicy(json.dumps(for_moto(document).document)).is_action_permitted(action, resource)
    return result


def _allow(actions: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource, **extra}]}


def test_an_action_on_a_named_table_is_enforced_though_moto_checks_it_against_star() -> None:
    document = _allow(["dynamodb:GetItem", "dynamodb:PutItem"], TABLE)
    assert IAMPolicy(json.dumps(document)).is_action_permitted("dynamodb:GetItem", "*") == PermissionResult.NEUTRAL
    assert _decide(document, "dynamodb:GetItem") == PermissionResult.PERMITTED
    assert _decide(document, "dynamodb:DeleteItem") == PermissionResult.NEUTRAL


def test_sqs_keeps_its_resource_and_batches_are_authorised_by_their_single_action() -> None:
    document = _allow(["sqs:SendMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"], QUEUE)
    for action in ("sqs:SendMessageBatch", "sqs:DeleteMessageBatch", "sqs:ChangeMessageVisibilityBatch"):
        assert _decide(document, action, QUEUE) == PermissionResult.PERMITTED, action
        assert _decide(document, action, QUEUE + "-other") == PermissionResult.NEUTRAL, action
    assert _decide(document, "sqs:ReceiveMessage", QUEUE) == PermissionResult.NEUTRAL


def test_a_batch_is_refused_where_its_single_action_is() -> None:
    document = _allow("sqs:ReceiveMessage", QUEUE)
    assert _decide(document, "sqs:SendMessageBatch", QUEUE) == PermissionResult.NEUTRAL


def test_s3_objects_are_matched_by_key() -> None:
    document = _allow("s3:GetObject", "arn:aws:s3:::bucket/replace/*")
    assert _decide(document, "s3:GetObject", "arn:aws:s3:::bucket/replace/a.csv") == PermissionResult.PERMITTED
    assert _decide(document, "s3:GetObject", "arn:aws:s3:::bucket/other/a.csv") == PermissionResult.NEUTRAL


@pytest.mark.parametrize(
    ("granted", "checked"),
    [
        ("sns:publish", "sns:Publish"),  # SAM's own casing for an SNS OnFailure destination
        ("sns:Publish", "sns:PublishBatch"),
        ("lambda:InvokeFunction", "lambda:Invoke"),
        ("cloudwatch:PutMetricData", "monitoring:PutMetricData"),
        ("s3:ListBucket", "s3:HeadBucket"),
    ],
)
def test_the_operation_moto_checks_is_granted_with_the_action_aws_uses(granted: str, checked: str) -> None:
    assert _decide(_allow(granted, "*"), checked) == PermissionResult.PERMITTED


@pytest.mark.parametrize(
    ("granted", "checked", "resource"),
    [
        ("sqs:SendMessage", "sqs:SendMessageBatch", QUEUE),
        ("cloudwatch:PutMetricData", "monitoring:PutMetricData", "*"),
        ("lambda:InvokeFunction", "lambda:Invoke", "*"),
        ("dynamodb:GetItem", "dynamodb:GetItem", "*"),  # granted on TABLE, checked against "*"
    ],
)
def test_moto_alone_would_refuse_what_aws_allows(granted: str, checked: str, resource: str) -> None:
    """The gaps the rewrite closes, pinned: a moto that closes one itself makes its case fail here."""
    document = _allow(granted, TABLE if granted.startswith("dynamodb") else resource)
    raw = IAMPolicy(json.dumps(document)).is_action_permitted(checked, resource)
    assert raw == PermissionResult.NEUTRAL
    assert _decide(document, checked, resource) == PermissionResult.PERMITTED


def test_an_sqs_call_by_queue_name_is_checked_against_star() -> None:
    assert _decide(_allow("sqs:*", QUEUE), "sqs:GetQueueUrl") == PermissionResult.PERMITTED


def test_a_conditional_deny_is_left_out_and_reported() -> None:
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "dynamodb:DeleteItem",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    }
    rewritten = for_moto(document)
    assert len(rewritten.document["Statement"]) == 1
    assert "Deny with a Condition" in rewritten.notes[0]
    assert _decide(document, "dynamodb:DeleteItem") == PermissionResult.PERMITTED


def test_an_unconditional_deny_still_wins() -> None:
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sqs:DeleteMessage", "Resource": "*"},
        ]
    }
    assert _decide(document, "sqs:DeleteMessageBatch", QUEUE) == PermissionResult.DENIED


def test_nothing_is_granted_that_the_policy_does_not_name() -> None:
    document = _allow(["dynamodb:Query"], TABLE + "/index/ByForm")
    statements = for_moto(document).document["Statement"]
    granted = {action for statement in statements for action in statement["Action"]}
    assert granted == {"dynamodb:Query"}


def test_iam_action_patterns_match_as_iam_does() -> None:
    assert iam_pattern_matches("sqs:SendMessage*", "sqs:SendMessageBatch")
    assert iam_pattern_matches("SQS:sendmessage", "sqs:SendMessage")
    assert iam_pattern_matches("sqs:?endMessage", "sqs:SendMessage")
    assert not iam_pattern_matches("sqs:Send", "sqs:SendMessage")

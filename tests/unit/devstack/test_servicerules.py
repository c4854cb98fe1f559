"""The AWS service rules the local stack enforces: each refuses what AWS refuses, and only that."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from leadloop_cli.devstack.servicerules.apigateway import stage_logs
from leadloop_cli.devstack.servicerules.dashboard import dashboard_body_errors
from leadloop_cli.devstack.servicerules.notifications import cloudwatch_publish_error, grants_actions

GOOD: dict[str, Any] = {
    "widgets": [
        {
            "type": "metric",
            "x": 0,
            "y": 0,
            "width": 12,
            "height": 6,
            "properties": {
                "region": "us-east-1",
                "period": 300,
                "metrics": [
                    ["AWS/Lambda", "Errors", "FunctionName", "f", {"label": "errors", "stat": "Sum"}],
                    [".", "Throttles", ".", "."],
                    [{"expression": "SEARCH('{leadloop,key} MetricName=\"X\"', 'Sum', 3600)", "id": "byKey"}],
                    [{"expression": "m1 + m2", "id": "total", "label": "total"}],
                ],
            },
        },
        {"type": "text", "x": 12, "y": 0, "width": 12, "height": 3, "properties": {"markdown": "hi"}},
    ]
}


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(GOOD)
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


def test_a_documented_body_passes():
    assert dashboard_body_errors(GOOD) == []


@pytest.mark.parametrize(
    ("path", "value", "complaint"),
    [
        (["widgets", 0, "properties", "metrics", 2], {"expression": "m1", "id": "e1"}, "non-empty array"),
        (["widgets", 0, "properties", "metrics", 3, 0, "id"], "byKey", "used twice"),
        (["widgets", 0, "properties", "metrics", 3, 0, "id"], "Total", "lowercase"),
        (["widgets", 0, "properties", "metrics", 2, 0], {"expression": "m1"}, "needs an 'id'"),
        (["widgets", 0, "properties", "metrics", 0], ["AWS/Lambda", "Errors", "FunctionName"], "pairs"),
        (["widgets", 0, "properties", "metrics", 0, 4], {"colour": "#fff"}, "unknown option"),
        (["widgets", 0, "properties", "region"], "", "needs 'region'"),
        (["widgets", 0, "properties", "period"], 90, "multiple of 60"),
        (["widgets", 0, "x"], 16, "overflows"),
        (["widgets", 1, "width"], 25, "width"),
        (["widgets", 1, "type"], "graph", "type"),
        (["widgets", 1, "properties"], None, "properties"),
        (["widgets", 0, "properties", "metrics"], [], "non-empty 'metrics'"),
    ],
)
def test_each_broken_rule_is_named(path: list[Any], value: Any, complaint: str):
    errors = dashboard_body_errors(_broken(path, value))
    assert errors and any(complaint in e for e in errors), errors


def test_a_body_without_widgets_is_refused():
    assert dashboard_body_errors({"start": "-PT6H"}) == ["the body needs a 'widgets' array"]
    assert dashboard_body_errors({"widgets": []}) == []


KEY_POLICY = {
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*"},
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        },
    ]
}


def test_cloudwatch_publishes_to_unencrypted_topics_and_admitting_keys():
    assert cloudwatch_publish_error(None, None) is None
    assert cloudwatch_publish_error("arn:aws:kms:us-east-1:1:key/k", KEY_POLICY) is None


@pytest.mark.parametrize("key", ["alias/aws/sns", "arn:aws:kms:us-east-1:123456789012:alias/aws/sns"])
def test_the_aws_managed_key_never_admits_cloudwatch(key: str):
    assert "AWS managed key" in str(cloudwatch_publish_error(key, KEY_POLICY))


def test_a_key_policy_missing_one_action_is_refused():
    policy = copy.deepcopy(KEY_POLICY)
    policy["Statement"][1]["Action"] = ["kms:Decrypt"]
    assert "kms:GenerateDataKey" in str(cloudwatch_publish_error("k", policy))
    policy["Statement"][1]["Effect"] = "Deny"
    policy["Statement"][1]["Action"] = ["kms:*"]
    assert cloudwatch_publish_error("k", policy) is not None


def test_action_wildcards_follow_iam():
    statements = [{"Effect": "Allow", "Action": ["kms:GenerateDataKey*", "sns:Pub*"]}]
    assert grants_actions(statements, ["kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "sns:Publish"])
    assert not grants_actions(statements, ["kms:Decrypt"])


@pytest.mark.parametrize(
    ("properties", "logs"),
    [
        ({"AccessLogSetting": {"DestinationArn": "arn"}}, True),
        ({"MethodSettings": [{"LoggingLevel": "ERROR"}]}, True),
        ({"MethodSettings": [{"LoggingLevel": "info"}]}, True),
        ({"MethodSettings": [{"LoggingLevel": "OFF", "MetricsEnabled": True}]}, False),
        ({}, False),
    ],
)
def test_which_stages_need_the_account_logging_role(properties: dict[str, Any], logs: bool):
    assert stage_logs(properties) is logs

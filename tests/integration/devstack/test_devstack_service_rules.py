"""The local stack refuses what AWS refuses at deploy time, where moto would accept it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from leadloop_cli.devstack import LocalStack
from leadloop_cli.devstack.intrinsics import TemplateError
from leadloop_cli.devstack.servicerules.apigateway import NO_LOG_ROLE_MESSAGE
from tests.integration.devstack.devstack_support import StubGraphSimulator


def _start(template: Path | None, tmp_path: Path, **overrides: str) -> LocalStack:
    return LocalStack(
        template,
        parameter_overrides=overrides,
        log_file=tmp_path / "devstack.log",
        write_state_file=False,
        seed=False,
        graph_factory=StubGraphSimulator,
    )


def test_a_logging_stage_without_the_account_role_is_refused_like_api_gateway(tmp_path: Path) -> None:
    with (
        pytest.raises(TemplateError, match=NO_LOG_ROLE_MESSAGE),
        _start(None, tmp_path, WebhookLogging="UseAccountRole"),
    ):
        pass


@pytest.mark.parametrize("mode", ["CreateAccountRole", "Off"])
def test_the_stack_deploys_when_it_sets_the_role_or_logs_nothing(tmp_path: Path, mode: str) -> None:
    with _start(None, tmp_path, WebhookLogging=mode) as stack:
        assert ("ApiGatewayAccount" in stack.resources) is (mode == "CreateAccountRole")
        assert "WebhookApi" in stack.resources


ALARM_ON_TOPIC = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: {key}
{extra}
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref Topic]
"""

ADMITTING_KEY = """
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
          - Effect: Allow
            Principal: {Service: cloudwatch.amazonaws.com}
            Action: [kms:Decrypt, kms:GenerateDataKey*]
            Resource: "*"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_an_alarm_on_a_topic_with_the_aws_managed_key_is_refused(tmp_path: Path) -> None:
    template = _write(tmp_path, ALARM_ON_TOPIC.format(key="alias/aws/sns", extra=""))
    with pytest.raises(TemplateError, match=r"cannot admit cloudwatch\.amazonaws\.com"), _start(template, tmp_path):
        pass


def test_an_alarm_on_a_topic_whose_key_admits_cloudwatch_is_created(tmp_path: Path) -> None:
    template = _write(tmp_path, ALARM_ON_TOPIC.format(key="!GetAtt Key.Arn", extra=ADMITTING_KEY))
    with _start(template, tmp_path) as stack:
        alarms = stack.client("cloudwatch").describe_alarms()["MetricAlarms"]
        assert [a["AlarmActions"] for a in alarms] == [[stack.resources["Topic"]]]
        policy = stack.client("kms").get_key_policy(KeyId=stack.resources["Key"], PolicyName="default")["Policy"]
        assert "cloudwatch.amazonaws.com" in json.loads(policy)["Statement"][1]["Principal"]["Service"]


def test_a_dashboard_cloudwatch_would_refuse_is_refused(tmp_path: Path) -> None:
    body = json.dumps(
        {
            "widgets": [
                {"type": "metric", "properties": {"region": "us-east-1", "metrics": [{"expression": "m1", "id": "e1"}]}}
            ]
        }
    )
    template = _write(
        tmp_path,
        f"""
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          Board:
            Type: AWS::CloudWatch::Dashboard
            Properties:
              DashboardBody: '{body}'
        """,
    )
    with pytest.raises(TemplateError, match=r"refuses the DashboardBody.*non-empty array"), _start(template, tmp_path):
        pass

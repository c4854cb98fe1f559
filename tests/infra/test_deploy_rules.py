"""What AWS refuses or silently breaks at deploy time, checked on the template CloudFormation deploys.

Each test encodes one documented service rule that moto and the linters do not check: CloudWatch's
dashboard body, API Gateway's account-level logging role, KMS key policies on alarm topics, Lambda's
unreserved concurrency, API Gateway's integration timeout, SAM's implicit stage, and policies that
grant what the code never calls. The template is evaluated with SAM's own transform
(:mod:`tests.infra.deployed`).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from leadloop_cli.devstack.servicerules.apigateway import stage_logs
from leadloop_cli.devstack.servicerules.dashboard import dashboard_body_errors
from leadloop_cli.devstack.servicerules.notifications import (
    PUBLISH_KEY_ACTIONS,
    cloudwatch_publish_error,
    grants_actions,
)
from tests.infra.deployed import Deployed, deployed
from tests.support.template import REPO_ROOT

if TYPE_CHECKING:
    from tests.support.template import CfnTemplate

#: API Gateway's integration timeout for REST APIs (a Lambda answering later is cut off with a 504).
API_GATEWAY_INTEGRATION_TIMEOUT = 29
#: Lambda keeps this much of the account's concurrency unreserved.
LAMBDA_UNRESERVED_MINIMUM = 100


# ---------------------------------------------------------------- dashboard
def test_the_dashboard_body_is_one_cloudwatch_accepts():
    [(lid, dashboard)] = deployed().of_type("AWS::CloudWatch::Dashboard").items()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    substituted = re.sub(r"\$\{[^}]+\}", "x", body)
    assert dashboard_body_errors(json.loads(substituted)) == [], lid


# ---------------------------------------------------------------- API Gateway logging
@pytest.mark.parametrize("mode", ["CreateAccountRole", "UseAccountRole", "Off"])
def test_a_logging_stage_comes_after_the_account_logging_role_or_logs_nothing(mode: str):
    stack = deployed(WebhookLogging=mode)
    accounts = stack.of_type("AWS::ApiGateway::Account")
    for stage_id in stack.of_type("AWS::ApiGateway::Stage"):
        logs = stage_logs(stack.props(stage_id))
        if mode == "Off":
            assert not logs, f"{stage_id} logs although WebhookLogging is Off"
        elif mode == "UseAccountRole":
            assert logs and not accounts  # the operator's role, checked by leadloop preflight
        else:
            assert logs and set(accounts) <= stack.depends_on(stage_id) and accounts, stage_id
    for account_id, account in accounts.items():
        role = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
        trust = json.dumps(stack.props(role)["AssumeRolePolicyDocument"])
        assert "apigateway.amazonaws.com" in trust, account_id
        assert account.get("DeletionPolicy") == "Retain" and stack.resources[role].get("DeletionPolicy") == "Retain"


def test_sam_deploys_only_the_configured_stage():
    stack = deployed()
    assert len(stack.of_type("AWS::ApiGateway::Stage")) == len(stack.of_type("AWS::ApiGateway::RestApi"))
    for deployment_id, deployment in stack.of_type("AWS::ApiGateway::Deployment").items():
        assert "StageName" not in deployment["Properties"], f"{deployment_id} creates SAM's extra 'Stage' stage"


# ---------------------------------------------------------------- alarms reach someone
def _topic_of(stack: Deployed, action: Any) -> str:
    assert isinstance(action, dict) and "Ref" in action, f"alarm action {action!r} is not a topic of this stack"
    return str(action["Ref"])


def _key_of(stack: Deployed, topic_id: str) -> tuple[str | None, dict[str, Any] | None]:
    key = stack.props(topic_id).get("KmsMasterKeyId")
    if key is None or isinstance(key, str):
        return key, None
    key_id = next(iter(stack.depends_on(topic_id) & set(stack.of_type("AWS::KMS::Key"))))
    return key_id, stack.props(key_id)["KeyPolicy"]


def test_cloudwatch_can_publish_to_every_alarm_topic():
    stack = deployed()
    alarms = stack.of_type("AWS::CloudWatch::Alarm")
    assert alarms
    for alarm_id, alarm in alarms.items():
        for action in [*alarm["Properties"]["AlarmActions"], *alarm["Properties"].get("OKActions", [])]:
            key_id, policy = _key_of(stack, _topic_of(stack, action))
            assert cloudwatch_publish_error(key_id, policy) is None, alarm_id
    for key_id in stack.of_type("AWS::KMS::Key"):
        assert stack.props(key_id)["EnableKeyRotation"] is True, key_id


def test_the_publish_rule_refuses_the_aws_managed_key():
    assert "AWS managed key" in str(cloudwatch_publish_error("alias/aws/sns", None))
    account_only = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*"}]}
    assert "does not allow cloudwatch.amazonaws.com" in str(cloudwatch_publish_error("k", account_only))


def _inline_statements(stack: Deployed, role_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in stack.props(role_id).get("Policies", []):
        found = policy["PolicyDocument"]["Statement"]
        statements += found if isinstance(found, list) else [found]
    return statements


def _grants(statements: list[dict[str, Any]], actions: list[str], resource: Any) -> bool:
    on_resource = [
        s for s in statements if resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    ]
    return grants_actions(on_resource, actions)


def test_functions_that_publish_alerts_may_use_the_topic_and_its_key():
    stack = deployed()
    publishers = [
        lid
        for lid, fn in stack.of_type("AWS::Lambda::Function").items()
        if "ALERTS_TOPIC_ARN" in fn["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert publishers
    for function_id in publishers:
        topic = stack.props(function_id)["Environment"]["Variables"]["ALERTS_TOPIC_ARN"]
        statements = _inline_statements(stack, f"{function_id}Role")
        assert _grants(statements, ["sns:Publish"], topic), function_id
        key_id, _ = _key_of(stack, _topic_of(stack, topic))
        assert key_id and _grants(statements, list(PUBLISH_KEY_ACTIONS), {"Fn::GetAtt": [key_id, "Arn"]}), function_id


def test_an_external_alarm_topic_is_granted_as_given():
    external = "arn:aws:sns:eu-west-1:999999999999:ops-alerts"
    stack = deployed(AlarmTopicArn=external)
    assert not stack.of_type("AWS::SNS::Topic") and not stack.of_type("AWS::KMS::Key")
    statements = _inline_statements(stack, "HealthCheckFunctionRole")
    assert _grants(statements, ["sns:Publish"], external)
    for alarm in stack.of_type("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [external]


# ---------------------------------------------------------------- concurrency
def test_no_concurrency_is_reserved_unless_the_operator_asks():
    stack = deployed()
    for function_id, function in stack.of_type("AWS::Lambda::Function").items():
        assert "ReservedConcurrentExecutions" not in function["Properties"], function_id


def test_each_reservation_is_a_parameter_that_reaches_its_function(template: CfnTemplate):
    parameters = template.document["Parameters"]
    asked = {name: "7" for name in parameters if name.endswith("ReservedConcurrency")}
    assert len(asked) >= 4
    stack = deployed(**asked)
    reserved = {
        lid: fn["Properties"]["ReservedConcurrentExecutions"]
        for lid, fn in stack.of_type("AWS::Lambda::Function").items()
        if "ReservedConcurrentExecutions" in fn["Properties"]
    }
    assert sorted(reserved.values()) == ["7"] * len(asked)
    for name in asked:
        assert parameters[name]["Default"] == 0 and parameters[name]["MinValue"] == 0, name


def test_every_sqs_event_source_is_capped_so_it_cannot_take_every_slot():
    stack = deployed()
    mappings = stack.of_type("AWS::Lambda::EventSourceMapping")
    sqs = {
        lid: m
        for lid, m in mappings.items()
        if "sqs" in json.dumps(m["Properties"]["EventSourceArn"]).lower()
        or "Queue" in json.dumps(m["Properties"]["EventSourceArn"])
    }
    assert sqs
    for lid, mapping in sqs.items():
        maximum = mapping["Properties"].get("ScalingConfig", {}).get("MaximumConcurrency")
        assert maximum is not None and 2 <= int(maximum) <= 10, lid


# ---------------------------------------------------------------- timeouts
def test_functions_behind_api_gateway_answer_inside_its_integration_timeout(template: CfnTemplate):
    budget_max = int(template.document["Parameters"]["WebhookResponseBudgetSeconds"]["MaxValue"])
    for function_id in template.functions:
        events = template.events(function_id).values()
        if any(e["Type"] == "Api" for e in events):
            timeout = int(template.function_props(function_id)["Timeout"])
            assert timeout < API_GATEWAY_INTEGRATION_TIMEOUT, function_id
            assert budget_max < timeout, "the webhook's fetch budget must end before the function's timeout"


# ---------------------------------------------------------------- least privilege
def test_no_grant_for_calls_the_code_never_makes():
    stack = deployed()
    code = "\n".join(p.read_text() for p in (REPO_ROOT / "layers" / "common" / "leadloop").rglob("*.py"))
    assert "put_metric_data" not in code  # metrics are EMF log lines
    for role_id in stack.of_type("AWS::IAM::Role"):
        text = json.dumps(stack.props(role_id))
        assert "cloudwatch:PutMetricData" not in text, role_id
        for action in (
            "s3:PutObjectAcl",
            "s3:GetLifecycleConfiguration",
            "s3:PutLifecycleConfiguration",
            "s3:DeleteObject",
            "dynamodb:BatchWriteItem",
        ):
            assert action not in text, (role_id, action)
    assert "ssm:" not in json.dumps(stack.props("LeadFetchFunctionRole")), "LeadFetch never reads the routing"


def test_checkov_skip_comments_name_the_key_dynamodb_really_uses(template: CfnTemplate):
    for table_id, table in template.of_type("AWS::DynamoDB::Table").items():
        sse = table["Properties"].get("SSESpecification", {})
        comments = json.dumps(table.get("Metadata", {}))
        if sse.get("SSEEnabled") is True and "KMSMasterKeyId" not in sse:
            assert "AWS owned key" not in comments and "aws/dynamodb" in comments, table_id


# ---------------------------------------------------------------- the operator's guide keeps up
def test_the_readme_deploy_section_names_every_parameter(template: CfnTemplate):
    readme = (REPO_ROOT / "README.md").read_text()
    deploy = readme[readme.index("## Deploy") : readme.index("## Replace")]
    missing = [name for name in template.document["Parameters"] if f"`{name}`" not in deploy]
    assert missing == []


def test_the_lead_hasher_may_record_failed_records_for_replay():
    """Without it every failed record becomes a whole-batch error and the DLQ range has nothing to rebuild."""
    statements = _inline_statements(deployed(), "LeadHasherFunctionRole")
    assert _grants(statements, ["dynamodb:PutItem"], {"Fn::GetAtt": ["StateTable", "Arn"]})


# ---------------------------------------------------------------- leads out (EventBridge)
#: "No more than two processes at most should be reading from the same streams shard at the same
#: time. Having more than two readers per shard can result in throttling." (DynamoDB Streams).
MAX_STREAM_READERS_PER_SHARD = 2


def test_the_leads_stream_has_at_most_two_readers():
    stack = deployed(LeadDeliveryUrl="https://crm.example.com/hook", LeadDeliveryAuthSecretName="crm-token")
    readers = [
        lid
        for lid, mapping in stack.of_type("AWS::Lambda::EventSourceMapping").items()
        if mapping["Properties"].get("EventSourceArn") == {"Fn::GetAtt": ["LeadsTable", "StreamArn"]}
    ]
    assert 1 <= len(readers) <= MAX_STREAM_READERS_PER_SHARD, readers


def test_lead_delivery_exists_only_with_a_url_and_then_completely():
    parts = ("AWS::Events::Connection", "AWS::Events::ApiDestination", "AWS::Events::Rule", "AWS::SQS::QueuePolicy")
    off = deployed()
    assert not any(off.of_type(kind) for kind in parts)
    on = deployed(LeadDeliveryUrl="https://crm.example.com/hook", LeadDeliveryAuthSecretName="crm-token")
    assert all(len(on.of_type(kind)) == 1 for kind in parts)


def test_eventbridge_may_send_undeliverable_leads_to_the_dlq():
    """Without a queue policy admitting events.amazonaws.com for the rule, EventBridge drops them."""
    stack = deployed(LeadDeliveryUrl="https://crm.example.com/hook", LeadDeliveryAuthSecretName="crm-token")
    [rule] = stack.of_type("AWS::Events::Rule").values()
    [target] = rule["Properties"]["Targets"]
    dlq = target["DeadLetterConfig"]["Arn"]
    [policy] = stack.of_type("AWS::SQS::QueuePolicy").values()
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == dlq and policy["Properties"]["Queues"] == [{"Ref": dlq["Fn::GetAtt"][0]}]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": ["LeadDeliveryRule", "Arn"]}
    assert 0 <= int(target["RetryPolicy"]["MaximumRetryAttempts"]) <= 185
    assert 60 <= int(target["RetryPolicy"]["MaximumEventAgeInSeconds"]) <= 86400


def test_the_delivery_secret_is_resolved_by_cloudformation_never_written_in_the_template():
    stack = deployed(LeadDeliveryUrl="https://crm.example.com/hook", LeadDeliveryAuthSecretName="crm-token")
    [connection] = stack.of_type("AWS::Events::Connection").values()
    value = connection["Properties"]["AuthParameters"]["ApiKeyAuthParameters"]["ApiKeyValue"]
    assert json.dumps(value).count("{{resolve:secretsmanager:") == 1


def test_the_lead_events_function_may_publish_only_to_its_bus():
    statements = _inline_statements(deployed(), "LeadEventsFunctionRole")
    put = [s for s in statements if "events:PutEvents" in json.dumps(s.get("Action"))]
    assert put and all("LeadEventsBus" in json.dumps(s["Resource"]) for s in put)


# ---------------------------------------------------------------- tracing
def test_functions_are_traced_by_lambda_alone_with_no_tracer_settings():
    # Given the deployed stack and the layer's code
    stack = deployed()
    code = "\n".join(p.read_text() for p in (REPO_ROOT / "layers" / "common" / "leadloop").rglob("*.py"))
    # Then no code builds a Powertools Tracer (aws-xray-sdk is not in the layer)
    assert "Tracer(" not in code
    for function_id in stack.of_type("AWS::Lambda::Function"):
        props = stack.props(function_id)
        # And every function is actively traced, so Lambda records its own segments
        assert props.get("TracingConfig") == {"Mode": "Active"}, function_id
        # And no function carries settings for a tracer it does not have
        variables = props.get("Environment", {}).get("Variables", {})
        assert not [name for name in variables if name.startswith("POWERTOOLS_TRACE")], function_id
        # And its role may write the segments
        role = stack.props(f"{function_id}Role") if f"{function_id}Role" in stack.resources else None
        if role is not None:
            assert any("AWSXrayWriteOnlyAccess" in json.dumps(arn) for arn in role.get("ManagedPolicyArns", [])), (
                function_id
            )

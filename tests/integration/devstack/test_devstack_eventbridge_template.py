"""infra/template.yaml's lead delivery, provisioned by the local stack as CloudFormation would create it.

With ``LeadDeliveryUrl`` set, the connection's header value comes from the secret the operator made
beforehand (a dynamic reference), the rule on LeadEventsBus targets the API destination with the
template's retry policy and dead-letter queue, and the queue's policy admits EventBridge for that
rule: what the delivery emulation (``test_devstack_eventbridge.py``) needs, from the real template.
Without the URL none of it exists; a URL AWS would refuse is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadloop_cli.devstack.intrinsics import TemplateError
from leadloop_cli.devstack.provision import Provisioner
from leadloop_cli.devstack.resources import ProvisionResult
from leadloop_cli.devstack.servicerules.eventbridge import queue_policy_admits
from leadloop_cli.devstack.template import load_template

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
SECRET_NAME, SECRET_VALUE = "crm-token", "Bearer local-crm-token"
DELIVERY = {
    "LeadDeliveryUrl": "http://127.0.0.1:9/leads",
    "LeadDeliveryAuthSecretName": SECRET_NAME,
    "LeadDeliveryAuthHeader": "Authorization",
}
DELIVERY_TYPES = (
    "AWS::Events::Connection",
    "AWS::Events::ApiDestination",
    "AWS::Events::Rule",
    "AWS::SQS::QueuePolicy",
)


def _clients() -> Any:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    make_client: Any = session.client
    return make_client


def _provision(overrides: dict[str, str], stack: str = "itest") -> ProvisionResult:
    template = load_template(
        ROOT / "infra" / "template.yaml", stack_name=stack, region=REGION, parameter_overrides=overrides
    )
    return Provisioner(template, _clients()).provision_all()


@pytest.fixture(scope="module")
def delivered() -> Iterator[ProvisionResult]:
    with mock_aws():
        _clients()("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=SECRET_VALUE)
        yield _provision(DELIVERY)


def _of_type(result: ProvisionResult, kind: str) -> list[str]:
    return [lid for lid, item in result.resources.items() if item.type == kind]


def test_every_delivery_resource_is_created(delivered: ProvisionResult) -> None:
    assert not {lid: kind for lid, kind in delivered.skipped_types.items() if kind.startswith("AWS::Events::")}
    for kind in (*DELIVERY_TYPES, "AWS::Events::EventBus", "AWS::Events::Archive"):
        assert _of_type(delivered, kind), kind


def test_the_rule_sends_lead_captured_to_the_destination_with_the_templates_retries_and_dlq(
    delivered: ProvisionResult,
) -> None:
    from moto.events.models import events_backends

    [rule_id] = _of_type(delivered, "AWS::Events::Rule")
    bus = delivered.physical_ids()["LeadEventsBus"]
    bus_name, _, rule_name = delivered.ref(rule_id).partition("|")
    assert bus_name == bus == "itest-leads"
    backend = events_backends["123456789012"][REGION]
    rule = backend.event_buses[bus].rules[rule_name]
    assert rule.arn == delivered.get_att(rule_id, "Arn")
    assert rule.event_pattern.get_pattern() == {"source": ["leadloop"], "detail-type": ["Lead Captured"]}
    [target] = rule.targets
    [destination_id] = _of_type(delivered, "AWS::Events::ApiDestination")
    assert target["Arn"] == delivered.get_att(destination_id, "Arn")
    assert isinstance(target["RetryPolicy"]["MaximumRetryAttempts"], int)
    [dlq_id] = [lid for lid in _of_type(delivered, "AWS::SQS::Queue") if "Delivery" in lid]
    assert target["DeadLetterConfig"]["Arn"] == delivered.get_att(dlq_id, "Arn")
    destination = backend.destinations[delivered.ref(destination_id)]
    assert destination.invocation_endpoint == DELIVERY["LeadDeliveryUrl"] and destination.http_method == "POST"


def test_the_connection_holds_the_secrets_value_resolved_at_creation(delivered: ProvisionResult) -> None:
    from moto.events.models import events_backends

    [connection_id] = _of_type(delivered, "AWS::Events::Connection")
    connection = events_backends["123456789012"][REGION].connections[delivered.ref(connection_id)]
    key = connection.auth_parameters["ApiKeyAuthParameters"]
    assert key == {"ApiKeyName": "Authorization", "ApiKeyValue": SECRET_VALUE}


def test_the_dlq_admits_eventbridge_for_the_delivery_rule_only(delivered: ProvisionResult) -> None:
    [rule_id] = _of_type(delivered, "AWS::Events::Rule")
    [dlq_id] = [lid for lid in _of_type(delivered, "AWS::SQS::Queue") if "Delivery" in lid]
    sqs = _clients()("sqs")
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=delivered.ref(dlq_id), AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    dlq, rule = delivered.get_att(dlq_id, "Arn"), delivered.get_att(rule_id, "Arn")
    assert queue_policy_admits(policy, queue_arn=dlq, source_arn=rule, source_account="123456789012") == (True, None)
    other = rule.rsplit("/", 1)[0] + "/another-rule"
    assert not queue_policy_admits(policy, queue_arn=dlq, source_arn=other, source_account="123456789012")[0]


# The module's moto holds the delivered stack; these provision others beside it (other stack names).
def test_without_a_url_there_is_no_delivery(delivered: ProvisionResult) -> None:
    result = _provision({}, stack="nourl")
    assert not any(_of_type(result, kind) for kind in DELIVERY_TYPES)
    assert _of_type(result, "AWS::Events::EventBus")


def test_what_aws_would_refuse_is_refused(delivered: ProvisionResult) -> None:
    # The template's AllowedPattern refuses it first; the API destination's own rule would too.
    with pytest.raises(TemplateError, match=r"AllowedPattern|must be an HTTPS URL"):
        _provision(DELIVERY | {"LeadDeliveryUrl": "http://crm.example.com/leads"}, stack="plainhttp")
    with pytest.raises(TemplateError, match="cannot be resolved: ResourceNotFoundException"):
        _provision(DELIVERY | {"LeadDeliveryAuthSecretName": "never-made"}, stack="nosecret")
    with pytest.raises(TemplateError, match="LeadDeliveryUrl needs LeadDeliveryAuthSecretName"):
        load_template(
            ROOT / "infra" / "template.yaml",
            stack_name="itest",
            parameter_overrides={"LeadDeliveryUrl": "https://crm.example.com/leads"},
        )

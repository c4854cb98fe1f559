"""What moto cannot check about infra/template.yaml's roles, checked here against the provisioned stack.

moto enforces actions for every service but resources only for S3 and SQS (see
``leadloop_cli.devstack.iam.moto_policy``): a grant naming the wrong table, parameter or secret would
pass locally and fail on AWS. So every resource a role's Allow statement names must match a resource
the template creates (with the template's conditions as the local stack evaluates them).
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadloop_cli.devstack.provision import Provisioner
from leadloop_cli.devstack.resources import ProvisionResult
from leadloop_cli.devstack.template import load_template

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
#: Resources AWS itself creates for a grant to name: the EventBridge rule through which Step Functions
#: learns that a ``.sync`` child execution ended (AWS documents this ARN for ``startExecution.sync``).
AWS_MANAGED = ("rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",)


@pytest.fixture(scope="module", params=[{}, {"ReplaceSourceBucketName": "crm-exports"}], ids=["defaults", "source"])
def provisioned(request: pytest.FixtureRequest) -> Iterator[ProvisionResult]:
    with mock_aws():
        template = load_template(
            ROOT / "infra" / "template.yaml", stack_name="itest", region=REGION, parameter_overrides=request.param
        )
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        make_client: Any = session.client
        yield Provisioner(template, make_client).provision_all()


def _known_arns(result: ProvisionResult) -> list[str]:
    """An ARN (and a sample sub-resource ARN) of everything the stack created, as IAM names them."""
    arns: list[str] = []
    prefix = f"arn:aws:ssm:{result.region}:{result.account_id}:parameter"
    for item in result.resources.values():
        for attribute in ("Arn", "StreamArn", "TopicArn"):
            if isinstance(item.attributes.get(attribute), str):
                arns.append(item.attributes[attribute])
        if item.type == "AWS::S3::Bucket":
            arns.append(f"{item.attributes['Arn']}/sources/sample.csv")
        if item.type == "AWS::DynamoDB::Table":
            arns.append(f"{item.attributes['Arn']}/index/ByFormCreated")
        if item.type == "AWS::SSM::Parameter":
            arns.append(f"{prefix}/{str(item.ref).lstrip('/')}")
        if item.type == "AWS::SecretsManager::Secret":
            arns.append(str(item.ref))
    for machine in result.state_machines.values():  # a state machine's executions, as DescribeExecution names one
        arns.append(f"arn:aws:states:{result.region}:{result.account_id}:execution:{machine.name}:sample-run")
    return arns


def _named_resources(document: dict[str, Any]) -> list[tuple[str, str]]:
    statements = document.get("Statement") or []
    found: list[tuple[str, str]] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        resources = statement.get("Resource", [])
        actions = statement.get("Action", [])
        for resource in resources if isinstance(resources, list) else [resources]:
            if resource != "*":
                found.append((str(actions), str(resource)))
    return found


def test_every_resource_a_role_names_is_one_the_stack_creates(provisioned: ProvisionResult) -> None:
    known = _known_arns(provisioned)
    external = "arn:aws:s3:::crm-exports"  # ReplaceSourceBucketName: the operator's bucket, by design
    missing = [
        (owner, name, actions, resource)
        for owner, role in provisioned.roles.items()
        for name, document in role.policies.items()
        for actions, resource in _named_resources(document)
        if not resource.startswith(external)
        and not resource.endswith(AWS_MANAGED)
        and not any(fnmatchcase(arn, resource) for arn in known)
    ]
    assert not missing, "\n".join(map(str, missing))


def test_every_function_and_the_state_machine_has_its_role(provisioned: ProvisionResult) -> None:
    owners = {*provisioned.functions, *provisioned.state_machines}
    assert owners <= set(provisioned.roles)
    for owner in owners:
        assert provisioned.roles[owner].name == provisioned.physical_ids()[f"{owner}Role"]

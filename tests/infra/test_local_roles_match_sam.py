"""The local stack's roles are the ones SAM deploys: same inline policies, same managed policies.

The local stack enforces IAM with roles it builds itself (``leadloop_cli.devstack.iam.sam_roles``); here
each function's and state machine's role is compared with the one SAM's own transform generates for
``infra/template.yaml``, with the template's conditions evaluated both ways.
"""

from __future__ import annotations

from typing import Any

import pytest

from leadloop_cli.devstack.iam.sam_roles import RoleTemplate, function_role, state_machine_role
from leadloop_cli.devstack.template import load_template
from tests.infra.deployed import Deployed, deployed
from tests.support.template import TEMPLATE_PATH

PARAMETER_SETS = [{}, {"ReplaceSourceBucketName": "crm-exports", "AlarmTopicArn": "arn:aws:sns:us-east-1:1:t"}]


def _local_roles() -> dict[str, RoleTemplate]:
    template = load_template(TEMPLATE_PATH, stack_name="leadloop-test")
    resolve = template.resolver().resolve
    roles: dict[str, RoleTemplate] = {}
    for resource in template.resources.values():
        role: RoleTemplate | None = None
        if resource.type == "AWS::Serverless::Function":
            role = function_role(resource.logical_id, resource.properties, resolve=resolve)
        elif resource.type == "AWS::Serverless::StateMachine":
            role = state_machine_role(resource.logical_id, resource.properties)
        if role is not None:
            roles[role.logical_id] = role
    return roles


def _policies(stack: Deployed, policies: Any) -> dict[str, Any]:
    return {policy["PolicyName"]: policy["PolicyDocument"] for policy in stack.evaluate(policies) or []}


@pytest.mark.parametrize("parameters", PARAMETER_SETS, ids=["defaults", "source-bucket-external-topic"])
def test_every_generated_role_holds_exactly_the_policies_sam_gives_it(parameters: dict[str, str]) -> None:
    stack = deployed(**parameters)
    local = _local_roles()
    generated = stack.of_type("AWS::IAM::Role")
    assert set(local) <= set(generated), set(local) - set(generated)
    for logical_id, role in local.items():
        sam = stack.props(logical_id)
        assert _policies(stack, role.policies) == _policies(stack, sam.get("Policies")), logical_id
        assert sorted(stack.evaluate(role.managed_policy_arns)) == sorted(sam.get("ManagedPolicyArns", [])), logical_id
        assert role.trust == sam["AssumeRolePolicyDocument"], logical_id


def test_every_function_and_state_machine_gets_a_local_role() -> None:
    local = _local_roles()
    template = load_template(TEMPLATE_PATH, stack_name="leadloop-test")
    owners = [r.logical_id for r in template.of_type("AWS::Serverless::Function", "AWS::Serverless::StateMachine")]
    assert sorted(f"{owner}Role" for owner in owners) == sorted(local)

"""The execution role SAM generates for a function or state machine, built the way SAM builds it.

SAM turns a resource's ``Policies`` into the inline policies ``<Id>RolePolicy<N>`` of a role ``<Id>Role``:
a policy template becomes its definition with the parameter values put in (the vendored
``sam/policy_templates.json``), an inline document stays as written (``Fn::If`` and ``AWS::NoValue``
included), and a managed policy becomes an ARN. SAM adds managed policies of its own (basic execution,
X-Ray when traced, the poller policy of an SQS, DynamoDB or Kinesis event) and a send policy for an
event's ``OnFailure`` destination that names its ``Type``. The result keeps the template's intrinsics:
the provisioner resolves it once every resource exists. ``tests/infra`` compares it with SAM's own
transform of ``infra/template.yaml``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..intrinsics import TemplateError
from .managed import managed_policy_arn

__all__ = [
    "LAMBDA_TRUST",
    "STATES_TRUST",
    "RoleTemplate",
    "expand_policy_template",
    "function_role",
    "policy_templates",
    "state_machine_role",
]

TEMPLATES_FILE = Path(__file__).with_name("sam") / "policy_templates.json"

LAMBDA_TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}
    ],
}
STATES_TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["states.amazonaws.com"]}}
    ],
}

#: Event types whose poller SAM grants with a managed policy on the function's role.
_POLLER_POLICIES = {
    "SQS": "AWSLambdaSQSQueueExecutionRole",
    "DynamoDB": "AWSLambdaDynamoDBExecutionRole",
    "Kinesis": "AWSLambdaKinesisExecutionRole",
}
_MANAGED, _STATEMENT, _TEMPLATE = "managed", "statement", "template"

Resolve = Callable[[Any], Any]
"""Resolves parameter references (SAM reads ``Tracing`` through them)."""


@dataclass
class RoleTemplate:
    """A generated role: trust, inline policies (``{"PolicyName", "PolicyDocument"}`` or an ``Fn::If`` of
    one) and managed policy ARNs (or ``Fn::If`` of ARNs), intrinsics unresolved."""

    logical_id: str
    trust: dict[str, Any]
    policies: list[Any] = field(default_factory=list)
    managed_policy_arns: list[Any] = field(default_factory=list)


@cache
def policy_templates() -> dict[str, Any]:
    """SAM's policy templates by name (``{"Parameters", "Definition", "Description"}``)."""
    with TEMPLATES_FILE.open(encoding="utf-8") as handle:
        templates: dict[str, Any] = json.load(handle)["Templates"]
    return templates


def expand_policy_template(name: str, values: Any) -> dict[str, Any]:
    """A policy template's definition with its parameters' values put in (SAM's ``Template.to_statement``)."""
    spec = policy_templates()[name]
    parameters = spec.get("Parameters") or {}
    if not isinstance(values, dict):
        raise TemplateError(f"policy template {name} needs a mapping of parameter values, got {values!r}")
    missing = sorted(set(parameters) - set(values))
    if missing:
        raise TemplateError(f"policy template {name} has no value for: {', '.join(missing)}")
    chosen = {key: value for key, value in values.items() if key in parameters}
    expanded: dict[str, Any] = _put_values(spec["Definition"], chosen)
    return expanded


def _put_values(node: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_put_values(item, values) for item in node]
    if isinstance(node, dict):
        if len(node) == 1 and isinstance(node.get("Ref"), str) and node["Ref"] in values:
            return copy.deepcopy(values[node["Ref"]])
        return {key: _put_values(item, values) for key, item in node.items()}
    return node


def _is_if(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and "Fn::If" in value


def _is_no_value(value: Any) -> bool:
    return isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key in {"Ref", "Condition"} or key.startswith("Fn::")


def _kind(policy: Any, where: str) -> str:
    """SAM's ``ResourcePolicies._get_type`` (policy templates known)."""
    if isinstance(policy, str):
        return _MANAGED
    if _is_if(policy):
        branches = policy["Fn::If"]
        if not isinstance(branches, list) or len(branches) != 3:
            raise TemplateError(f"{where}: Fn::If needs [condition, then, else]")
        then, otherwise = branches[1], branches[2]
        if _is_no_value(then):
            return _kind(otherwise, where)
        if _is_no_value(otherwise):
            return _kind(then, where)
        kinds = {_kind(then, where), _kind(otherwise, where)}
        if len(kinds) != 1:
            raise TemplateError(f"{where}: different policy types within one Fn::If")
        return kinds.pop()
    if _is_intrinsic(policy):
        return _MANAGED
    if isinstance(policy, dict) and "Statement" in policy:
        return _STATEMENT
    if isinstance(policy, dict) and len(policy) == 1 and next(iter(policy)) in policy_templates():
        return _TEMPLATE
    raise TemplateError(f"{where} is not a valid policy (not a name, ARN, document or SAM policy template)")


def _branches(policy: Any, convert: Callable[[Any], Any]) -> Any:
    """Apply ``convert`` to a policy, or to each branch of its ``Fn::If`` that is not ``AWS::NoValue``."""
    if not _is_if(policy):
        return convert(policy)
    condition, then, otherwise = policy["Fn::If"]
    return {"Fn::If": [condition, *(b if _is_no_value(b) else convert(b) for b in (then, otherwise))]}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _managed_arn(name: Any, partition: str) -> Any:
    if isinstance(name, str) and not name.startswith("arn:"):
        return managed_policy_arn(name, partition)
    return name


def _named(name: str) -> Callable[[Any], dict[str, Any]]:
    def policy(document: Any) -> dict[str, Any]:
        return {"PolicyName": name, "PolicyDocument": document}

    return policy


def _build(
    logical_id: str, trust: dict[str, Any], policies: list[Any], managed: list[Any], partition: str
) -> RoleTemplate:
    """SAM's ``construct_role_for_resource``: one inline policy per document, named by its index."""
    role = RoleTemplate(f"{logical_id}Role", copy.deepcopy(trust), managed_policy_arns=list(managed))
    for index, entry in enumerate(policies):
        kind = _kind(entry, f"{logical_id}.Policies[{index}]")
        policy = entry
        if kind == _TEMPLATE:
            policy = _branches(entry, lambda template: expand_policy_template(*next(iter(template.items()))))
        if kind in (_TEMPLATE, _STATEMENT):
            role.policies.append(_branches(policy, _named(f"{role.logical_id}Policy{index}")))
            continue
        arn = _branches(policy, lambda value: _managed_arn(value, partition))
        if arn not in role.managed_policy_arns:
            role.managed_policy_arns.append(arn)
    return role


def _destination_policy(event_id: str, on_failure: Mapping[str, Any]) -> dict[str, Any] | None:
    """The policy SAM adds for an event's ``OnFailure`` destination when it names a ``Type``."""
    kind, destination = on_failure.get("Type"), on_failure.get("Destination")
    if kind == "SQS":
        statements = [{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": destination}]
    elif kind == "SNS":
        statements = [{"Action": "sns:publish", "Effect": "Allow", "Resource": destination}]
    elif kind == "S3":
        objects = {"Fn::Join": ["/", [destination, "*"]]}
        statements = [
            {"Action": "s3:PutObject", "Effect": "Allow", "Resource": objects},
            {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": destination},
        ]
    else:
        return None
    return {"PolicyName": f"{event_id}{kind}Policy", "PolicyDocument": {"Statement": statements}}


def _dead_letter_policy(dead_letter: Mapping[str, Any]) -> dict[str, Any]:
    action = {"SQS": "sqs:SendMessage", "SNS": "sns:Publish"}.get(str(dead_letter.get("Type")))
    if action is None:
        raise TemplateError(f"DeadLetterQueue Type must be SQS or SNS, got {dead_letter.get('Type')!r}")
    statement = {"Action": action, "Resource": dead_letter.get("TargetArn"), "Effect": "Allow"}
    return {
        "PolicyName": "DeadLetterQueuePolicy",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
    }


def function_role(
    logical_id: str, properties: Mapping[str, Any], *, resolve: Resolve, partition: str = "aws"
) -> RoleTemplate | None:
    """The role of an ``AWS::Serverless::Function`` (Globals merged), or None when it names its own ``Role``."""
    if properties.get("Role"):
        return None
    basic = (
        "AWSLambdaBasicDurableExecutionRolePolicy" if properties.get("DurableConfig") else "AWSLambdaBasicExecutionRole"
    )
    managed: list[Any] = [managed_policy_arn(basic, partition)]
    tracing = resolve(properties.get("Tracing")) if properties.get("Tracing") else None
    if tracing and tracing != "Disabled":
        managed.append(managed_policy_arn("AWSXrayWriteOnlyAccess", partition))
    if properties.get("VpcConfig"):
        managed.append(managed_policy_arn("AWSLambdaVPCAccessExecutionRole", partition))
    role = _build(logical_id, LAMBDA_TRUST, _as_list(properties.get("Policies")), managed, partition)
    if properties.get("DeadLetterQueue"):
        role.policies.insert(0, _dead_letter_policy(properties["DeadLetterQueue"]))
    documents = [p.get("PolicyDocument") for p in role.policies if isinstance(p, dict) and "PolicyDocument" in p]
    for event_name, event in (properties.get("Events") or {}).items():
        poller = _POLLER_POLICIES.get(str(event.get("Type")))
        if poller is None:
            continue
        arn = managed_policy_arn(poller, partition)
        if arn not in role.managed_policy_arns:
            role.managed_policy_arns.append(arn)
        on_failure = ((event.get("Properties") or {}).get("DestinationConfig") or {}).get("OnFailure") or {}
        policy = _destination_policy(f"{logical_id}{event_name}", on_failure)
        if policy is not None and policy["PolicyDocument"] not in documents:
            role.policies.append(policy)
            documents.append(policy["PolicyDocument"])
    return role


def state_machine_role(
    logical_id: str, properties: Mapping[str, Any], *, partition: str = "aws"
) -> RoleTemplate | None:
    """The role of an ``AWS::Serverless::StateMachine``, or None when it names its own ``Role``."""
    if properties.get("Role") or properties.get("RoleArn"):
        return None
    policies = _as_list(properties.get("Policies"))
    tracing = properties.get("Tracing")
    if isinstance(tracing, dict) and tracing.get("Enabled") is True:
        policies.append("AWSXrayWriteOnlyAccess")
    return _build(logical_id, STATES_TRUST, policies, [], partition)

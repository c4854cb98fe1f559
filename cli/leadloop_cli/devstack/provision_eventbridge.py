"""Creators for EventBridge resources (and the SQS queue policies its dead-letter queues need).

Each returns what CloudFormation returns: ``Ref`` is the name (a rule on a custom bus:
``bus|rule``, its CloudFormation id), ``GetAtt`` the ARNs (``Arn``, a connection's ``SecretArn``, the
``ArnForPolicy`` of a connection or API destination: its ARN without the generated id). What AWS
would refuse is refused here with its reason (:mod:`.servicerules.eventbridge`); moto checks almost
none of it. Delivery to API destinations is the stack's (:mod:`.events.eventbridge`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .intrinsics import TemplateError
from .resources import Provisioned
from .servicerules.eventbridge import (
    DEFAULT_RATE_LIMIT,
    api_destination_errors,
    arn_for_policy,
    connection_errors,
    event_pattern_error,
    is_api_destination_arn,
    target_errors,
)

if TYPE_CHECKING:
    from .provision import Provisioner
    from .template import ResourceDef

__all__ = ["EVENTBRIDGE_CREATORS"]

#: Target services moto delivers to (SQS, CloudWatch Logs, event buses, archives) besides the API
#: destinations the stack delivers to.
_DELIVERED = ("sqs", "logs", "events")


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _refuse(res: ResourceDef, errors: list[str]) -> None:
    if errors:
        raise TemplateError(f"{res.logical_id} ({res.type}): {'; '.join(errors)}")


def _event_bus(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("Name") or p.names.physical_name(res.logical_id, res.type)
    events = p.clients("events")
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    attributes: dict[str, Any] = {"Arn": arn, "Name": name}
    if props.get("Policy"):
        events.put_permission(EventBusName=name, Policy=_json_text(props["Policy"]))
        attributes["Policy"] = props["Policy"]
    for ignored in ("DeadLetterConfig", "KmsKeyIdentifier", "LogConfig", "EventSourceName"):
        if ignored in props:
            p.note(f"{res.logical_id}.{ignored} is not applied locally")
    p.result.add(Provisioned(res.logical_id, res.type, name, attributes))


def _archive(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("ArchiveName") or p.names.physical_name(res.logical_id, res.type)
    if not props.get("SourceArn"):
        raise TemplateError(f"{res.logical_id}: SourceArn is required")
    kwargs: dict[str, Any] = {"ArchiveName": name, "EventSourceArn": str(props["SourceArn"])}
    if props.get("EventPattern") is not None:
        _refuse(res, [e for e in [event_pattern_error(props["EventPattern"])] if e])
        kwargs["EventPattern"] = _json_text(props["EventPattern"])
    if props.get("RetentionDays") is not None:
        kwargs["RetentionDays"] = int(props["RetentionDays"])
    if props.get("Description"):
        kwargs["Description"] = str(props["Description"])
    arn = p.clients("events").create_archive(**kwargs)["ArchiveArn"]
    p.result.add(Provisioned(res.logical_id, res.type, name, {"Arn": arn, "ArchiveName": name}))


def _connection(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    _refuse(res, connection_errors(props))
    name = props.get("Name") or p.names.physical_name(res.logical_id, res.type)
    kwargs: dict[str, Any] = {
        "Name": name,
        "AuthorizationType": props["AuthorizationType"],
        "AuthParameters": props["AuthParameters"],
    }
    if props.get("Description"):
        kwargs["Description"] = str(props["Description"])
    events = p.clients("events")
    arn = events.create_connection(**kwargs)["ConnectionArn"]
    secret_arn = events.describe_connection(Name=name)["SecretArn"]
    attributes = {"Arn": arn, "SecretArn": secret_arn, "ArnForPolicy": arn_for_policy(arn)}
    p.result.add(Provisioned(res.logical_id, res.type, name, attributes))


def _api_destination(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    _refuse(res, api_destination_errors(props))
    connection_arn = str(props["ConnectionArn"])
    events = p.clients("events")
    known = {c["ConnectionArn"] for c in events.list_connections().get("Connections", [])}
    if connection_arn not in known:
        raise TemplateError(f"{res.logical_id}: connection {connection_arn} does not exist")
    name = props.get("Name") or p.names.physical_name(res.logical_id, res.type)
    kwargs: dict[str, Any] = {
        "Name": name,
        "ConnectionArn": connection_arn,
        "InvocationEndpoint": str(props["InvocationEndpoint"]),
        "HttpMethod": str(props["HttpMethod"]),
        "InvocationRateLimitPerSecond": int(props.get("InvocationRateLimitPerSecond", DEFAULT_RATE_LIMIT)),
    }
    if props.get("Description"):
        kwargs["Description"] = str(props["Description"])
    arn = events.create_api_destination(**kwargs)["ApiDestinationArn"]
    p.result.add(Provisioned(res.logical_id, res.type, name, {"Arn": arn, "ArnForPolicy": arn_for_policy(arn)}))


def _target(target: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation target as PutTargets takes it (numbers from parameters are strings)."""
    out = dict(target)
    if "RetryPolicy" in out:
        out["RetryPolicy"] = {key: int(value) for key, value in out["RetryPolicy"].items()}
    for key in ("InputTransformer", "HttpParameters", "DeadLetterConfig", "SqsParameters"):
        if key in out:
            out[key] = dict(out[key])
    return out


def _rule(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    name = props.get("Name") or p.names.physical_name(res.logical_id, res.type)
    bus = str(props.get("EventBusName") or "default")
    bus_name = bus.rsplit("/", 1)[-1] if bus.startswith("arn:") else bus
    pattern, schedule = props.get("EventPattern"), props.get("ScheduleExpression")
    errors = [] if pattern is not None or schedule else ["EventPattern or ScheduleExpression is required"]
    if pattern is not None:
        errors += [e for e in [event_pattern_error(pattern)] if e]
    targets = [_target(t) for t in props.get("Targets") or []]
    errors += target_errors(targets, region=p.region)
    _refuse(res, errors)
    kwargs: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": str(props.get("State") or "ENABLED")}
    if pattern is not None:
        kwargs["EventPattern"] = _json_text(pattern)
    if schedule:
        kwargs["ScheduleExpression"] = str(schedule)
        p.note(f"{res.logical_id}: a rule's ScheduleExpression does not fire locally (SAM Schedule events do)")
    for key in ("Description", "RoleArn"):
        if props.get(key):
            kwargs[key] = str(props[key])
    events = p.clients("events")
    arn = events.put_rule(**kwargs)["RuleArn"]
    if targets:
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    for target in targets:
        service = str(target["Arn"]).split(":")[2] if str(target["Arn"]).count(":") >= 5 else ""
        if service not in _DELIVERED and not is_api_destination_arn(str(target["Arn"])):
            p.note(f"{res.logical_id}: target {target['Id']} ({target['Arn']}) is not delivered locally")
    ref = name if bus_name == "default" else f"{bus_name}|{name}"
    p.result.add(Provisioned(res.logical_id, res.type, ref, {"Arn": arn}))


def _queue_policy(p: Provisioner, res: ResourceDef, props: dict[str, Any]) -> None:
    """``AWS::SQS::QueuePolicy`` (``Queues``: URLs) and ``AWS::SQS::QueueInlinePolicy`` (``Queue``)."""
    queues = props.get("Queues") if res.type == "AWS::SQS::QueuePolicy" else [props.get("Queue")]
    document = props.get("PolicyDocument")
    if not queues or not all(queues) or not document:
        raise TemplateError(f"{res.logical_id}: PolicyDocument and the queue(s) are required")
    sqs = p.clients("sqs")
    for url in queues:
        sqs.set_queue_attributes(QueueUrl=str(url), Attributes={"Policy": _json_text(document)})
    policy_id = f"{p.template.context.stack_name}-{res.logical_id}-{p.names.suffix()}"
    p.result.add(Provisioned(res.logical_id, res.type, policy_id, {"Id": policy_id}))


EVENTBRIDGE_CREATORS: dict[str, Callable[[Provisioner, ResourceDef, dict[str, Any]], None]] = {
    "AWS::Events::EventBus": _event_bus,
    "AWS::Events::Archive": _archive,
    "AWS::Events::Connection": _connection,
    "AWS::Events::ApiDestination": _api_destination,
    "AWS::Events::Rule": _rule,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::SQS::QueueInlinePolicy": _queue_policy,
}

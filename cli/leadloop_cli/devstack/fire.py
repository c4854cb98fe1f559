"""Fire a schedule of a *running* local stack from another process (``leadloop dev fire --local``).

The invoke goes through the stack's moto endpoint, where the Lambda hook of the ``dev up`` process
runs the real handler; the schedule (expression, Input, target) comes from the state file.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
from botocore.config import Config

from .events.schedule import schedule_event
from .resources import ScheduleSpec

__all__ = ["fire_remote", "local_client"]


def local_client(target: dict[str, Any], service: str, *, read_timeout: int = 960) -> Any:
    """A boto3 client on the local stack's endpoint (``target`` is the state file document)."""
    session = boto3.session.Session(
        aws_access_key_id=target.get("aws_access_key_id") or "testing",
        aws_secret_access_key=target.get("aws_secret_access_key") or "testing",
        region_name=target["region"],
    )
    config = Config(read_timeout=read_timeout, retries={"max_attempts": 0, "total_max_attempts": 1})
    make_client: Any = session.client  # boto3-stubs only type literal service names
    return make_client(service, endpoint_url=target["aws_endpoint_url"], config=config)


def _spec(target: dict[str, Any], owner: str, event_name: str | None) -> ScheduleSpec:
    schedules: dict[str, dict[str, Any]] = target.get("schedules") or {}
    if owner not in schedules:
        known = ", ".join(sorted(schedules)) or "none"
        raise LookupError(f"{owner} has no schedule in the local stack (with schedules: {known})")
    events = schedules[owner]
    if event_name is None:
        if len(events) != 1:
            raise LookupError(f"{owner} has several schedules ({', '.join(sorted(events))}); name one")
        event_name = next(iter(events))
    if event_name not in events:
        raise LookupError(f"{owner} has no schedule {event_name} (has: {', '.join(sorted(events))})")
    data = events[event_name]
    return ScheduleSpec(
        owner=owner,
        name=event_name,
        kind=data["type"],
        expression=data["expression"],
        target_arn=data["target_arn"],
        target_kind=data["target_kind"],
        input=data.get("input"),
        timezone=data.get("timezone"),
        enabled=bool(data.get("enabled", True)),
    )


def fire_remote(target: dict[str, Any], owner: str, event_name: str | None = None) -> tuple[str, str | None]:
    """Fire now; returns (output to print, one-line error or None)."""
    try:
        spec = _spec(target, owner, event_name)
    except LookupError as exc:
        return "", str(exc)
    event = schedule_event(spec, region=target["region"], account_id=target.get("account_id", "123456789012"))
    if spec.target_kind == "statemachine":
        response = local_client(target, "stepfunctions").start_execution(
            stateMachineArn=spec.target_arn, name=f"{spec.name}-{uuid.uuid4()}", input=json.dumps(event)
        )
        return json.dumps({"executionArn": response["executionArn"]}), None
    response = local_client(target, "lambda").invoke(FunctionName=spec.target_arn, Payload=json.dumps(event).encode())
    payload = response["Payload"].read().decode("utf-8")
    if response.get("FunctionError"):
        try:
            body = json.loads(payload)
            reason = f"{body.get('errorType')}: {body.get('errorMessage')}"
        except (ValueError, AttributeError):
            reason = payload
        return payload, f"{owner} failed: {reason}"
    return payload, None

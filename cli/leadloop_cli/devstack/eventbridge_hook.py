"""The local stack's hook into moto's EventBridge rules: API destinations are delivered as AWS does.

Target: ``moto.events.models.Rule.send_to_targets`` (moto 5.2.5), which PutEvents calls for every
rule of the event's bus. moto sends an API destination target one bodyless request, synchronously and
only when ``MOTO_EVENTS_INVOKE_HTTP`` is set, and raises ``NotImplementedError`` (failing PutEvents)
for a target type it does not deliver. The replacement, for a rule that is enabled and matches:

* captures each API-destination target as an :class:`~.events.eventbridge.ApiDestinationCall` (the
  event as EventBridge shapes it, the rendered input, the request with the connection's auth, the
  role, retry policy and dead-letter queue) and hands it to the stack's delivery, which answers at
  once: PutEvents never waits for an endpoint;
* sends a standard SQS queue target the event as EventBridge shapes it (moto's body lacks
  ``account`` and its input transformer is a text substitution), when the queue's policy lets
  ``events.amazonaws.com`` send to it, as AWS requires; otherwise logs it, once per rule and queue;
* lets moto deliver the other targets it does (FIFO queues, CloudWatch Logs, event buses, archives);
* skips, and logs once per target, the types moto does not deliver (Lambda, Step Functions...).

moto also sends to a disabled rule's targets; AWS does not, and neither does this hook.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from .events.eventbridge import ApiDestinationCall, build_request, envelope, iso_time
from .servicerules.eventbridge import (
    DEFAULT_RATE_LIMIT,
    RetryPolicy,
    is_api_destination_arn,
    queue_policy_admits,
    render_target_input,
)

__all__ = ["SUPPORTED_MOTO_VERSION", "install", "installed", "uninstall"]

SUPPORTED_MOTO_VERSION = "5.2.5"

log = logging.getLogger(__name__)

Dispatch = Callable[[ApiDestinationCall], None]

_lock = threading.Lock()
_state: dict[str, Any] = {}
_warned: set[str] = set()
#: Target services moto's own ``send_to_targets`` delivers (an archive target is ``arn:...:events:r:::``);
#: standard SQS queues are sent here instead.
_MOTO_DELIVERS = ("sqs", "logs", "events")


def _moto_delivers(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) >= 6 and parts[2] in _MOTO_DELIVERS and not is_api_destination_arn(arn)


def _standard_queue(arn: str, target: dict[str, Any]) -> bool:
    parts = arn.split(":")
    return len(parts) == 6 and parts[2] == "sqs" and not parts[5].endswith(".fifo") and not target.get("SqsParameters")


def _warn_once(key: str, message: str, *args: Any) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)


def _send_to_queue(rule: Any, target: dict[str, Any], message: dict[str, Any]) -> None:
    """A standard SQS target, as EventBridge sends it: the AWS-shaped event, if the queue admits it."""
    from moto.sqs.models import sqs_backends

    arn = str(target["Arn"])
    _, _, _, region, account, name = arn.split(":")
    backend = sqs_backends[account][region]
    queue = backend.queues.get(name)
    if queue is None:
        _warn_once(arn, "EventBridge target %s of rule %s does not exist: not delivered", arn, rule.name)
        return
    policy = json.loads(queue.policy) if queue.policy else None
    admitted, note = queue_policy_admits(policy, queue_arn=arn, source_arn=rule.arn, source_account=rule.account_id)
    if not admitted:
        _warn_once(
            f"{rule.arn} {arn}",
            "EventBridge may not send rule %s's events to %s: the queue policy does not allow "
            "events.amazonaws.com sqs:SendMessage for it%s; not delivered (as on AWS)",
            rule.name,
            arn,
            f" ({note})" if note else "",
        )
        return
    event = envelope(message)
    ingestion = iso_time(message.get("ingestion-time"), milliseconds=True)
    body = render_target_input(target, event, rule_arn=rule.arn, ingestion_time=ingestion)
    backend.send_message(queue_name=name, message_body=body)


def _capture(rule: Any, target: dict[str, Any], message: dict[str, Any]) -> ApiDestinationCall:
    """Everything the delivery needs, read from moto now (the destination may change later)."""
    from moto.events.models import events_backends

    event = envelope(message)
    arn = str(target["Arn"])
    common: dict[str, Any] = {
        "event": event,
        "body": render_target_input(
            target,
            event,
            rule_arn=rule.arn,
            ingestion_time=iso_time(message.get("ingestion-time"), milliseconds=True),
        ),
        "rule_arn": rule.arn,
        "target_id": str(target.get("Id", "")),
        "target_arn": arn,
        "role_arn": target.get("RoleArn"),
        "retry": RetryPolicy.of(target),
        "dead_letter_arn": (target.get("DeadLetterConfig") or {}).get("Arn"),
    }
    backend = events_backends[rule.account_id][rule.region_name]
    name = arn.split(":", 5)[5].split("/")[1]
    destination = backend.destinations.get(name)
    if destination is None or destination.arn != arn:
        return ApiDestinationCall(**common, failure=("NO_RESOURCE", f"API destination {arn} does not exist."))
    connection = next((c for c in backend.connections.values() if c.arn == destination.connection_arn), None)
    if connection is None:
        missing = f"Connection {destination.connection_arn} of API destination {arn} does not exist."
        return ApiDestinationCall(**common, failure=("NO_RESOURCE", missing))
    url, headers = build_request(
        endpoint=str(destination.invocation_endpoint),
        authorization_type=str(connection.authorization_type),
        auth_parameters=connection.auth_parameters or {},
        http_parameters=target.get("HttpParameters"),
        event=event,
    )
    rate = destination.invocation_rate_limit_per_second
    return ApiDestinationCall(
        **common,
        method=str(destination.http_method or "POST"),
        url=url,
        headers=headers,
        rate_limit=int(rate) if rate else DEFAULT_RATE_LIMIT,
    )


def _send_to_targets(original: Callable[..., None]) -> Callable[..., None]:
    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if not str(self.state or "ENABLED").upper().startswith("ENABLED"):
            return
        if not self.event_pattern.matches_event(original_event):
            return
        dispatch: Dispatch | None = _state.get("dispatch")
        message = json.loads(json.dumps(original_event, default=str))
        moto_targets = []
        for target in self.targets:
            arn = str(target.get("Arn", ""))
            if is_api_destination_arn(arn):
                if dispatch is not None:
                    dispatch(_capture(self, target, message))
            elif _standard_queue(arn, target):
                _send_to_queue(self, target, message)
            elif _moto_delivers(arn):
                moto_targets.append(target)
            else:
                _warn_once(arn, "EventBridge target %s of rule %s is not delivered locally", arn, self.name)
        if moto_targets:
            view = copy.copy(self)
            view.targets = moto_targets
            original(view, original_event, transform_input)

    send_to_targets.__wrapped__ = original  # type: ignore[attr-defined]
    return send_to_targets


def install(dispatch: Dispatch) -> None:
    """Route API-destination targets to ``dispatch`` (idempotent; a later call replaces the dispatch)."""
    from moto.events.models import Rule

    with _lock:
        if "original" not in _state:
            original = Rule.__dict__["send_to_targets"]
            _state["original"] = original
            Rule.send_to_targets = _send_to_targets(original)  # type: ignore[method-assign]
        _state["dispatch"] = dispatch


def uninstall() -> None:
    """Put moto's ``send_to_targets`` back."""
    from moto.events.models import Rule

    with _lock:
        original = _state.pop("original", None)
        if original is not None:
            Rule.send_to_targets = original  # type: ignore[method-assign]
        _state.pop("dispatch", None)
        _warned.clear()


def installed() -> bool:
    return "original" in _state

"""Turn each function's (and state machine's) ``Events`` into local event sources.

Events are resolved after every resource exists (they name queues, streams and APIs). Each supported
type becomes a plain record the stack starts a server, poller or timer for; anything else is noted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .events.api import ApiRoute, Invoke
from .events.dynamodb import StreamEventSource
from .events.filters import compile_filter_criteria
from .events.sqs import SqsEventSource
from .intrinsics import Resolver, TemplateError
from .resources import ApiSpec, FunctionSpec, ProvisionResult, ScheduleSpec
from .template import Template

__all__ = ["IMPLICIT_API", "Wiring", "wire_events"]

IMPLICIT_API = "ServerlessRestApi"


@dataclass
class Wiring:
    api_routes: list[ApiRoute] = field(default_factory=list)
    sqs: list[SqsEventSource] = field(default_factory=list)
    streams: list[StreamEventSource] = field(default_factory=list)
    schedules: list[ScheduleSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _enabled(props: dict[str, Any]) -> bool:
    if "State" in props:
        return str(props["State"]).upper() == "ENABLED"
    value = props.get("Enabled", True)
    return value if isinstance(value, bool) else str(value).lower() != "false"


def _response_types(props: dict[str, Any]) -> bool:
    return "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])


def schedule_spec(owner: str, name: str, kind: str, props: dict[str, Any], *, arn: str, target: str) -> ScheduleSpec:
    """A ``Schedule`` (property ``Schedule``) or ``ScheduleV2`` (``ScheduleExpression``) event."""
    key = "Schedule" if kind == "Schedule" else "ScheduleExpression"
    if not props.get(key):
        raise TemplateError(f"{owner}.Events.{name}: {kind} needs {key}")
    raw_input = props.get("Input")
    return ScheduleSpec(
        owner=owner,
        name=name,
        kind=kind,
        expression=str(props[key]),
        target_arn=arn,
        target_kind=target,
        input=raw_input if raw_input is None or isinstance(raw_input, str) else str(raw_input),
        timezone=props.get("ScheduleExpressionTimezone"),
        enabled=_enabled(props),
    )


def binary_media_types(template: Template, api_logical_id: str, resolver: Resolver) -> tuple[str, ...]:
    """An API's ``BinaryMediaTypes`` with SAM's ``~1`` escape read as ``/`` (the implicit API's from Globals)."""
    resource = template.resources.get(api_logical_id)
    implicit = (template.body.get("Globals") or {}).get("Api") or {}
    props = resource.properties if resource is not None else implicit
    types = resolver.resolve(props.get("BinaryMediaTypes")) or []
    return tuple(str(item).replace("~1", "/") for item in types)


class _Wirer:
    def __init__(
        self,
        result: ProvisionResult,
        invoker_for: Callable[[str], Invoke],
        clients: Callable[[str], Any],
        template: Template,
    ) -> None:
        self.result = result
        self.invoker_for = invoker_for
        self.clients = clients
        self.template = template
        self.resolver = template.resolver(result)
        self.wiring = Wiring()

    def queue_url(self, arn: str) -> str:
        for item in self.result.resources.values():
            if item.type == "AWS::SQS::Queue" and item.attributes.get("Arn") == arn:
                return str(item.ref)
        parts = arn.split(":")
        response = self.clients("sqs").get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])
        return str(response["QueueUrl"])

    def api(self, rest_api_id: Any) -> ApiSpec | None:
        apis = self.result.apis
        if rest_api_id is None:
            if IMPLICIT_API not in apis:
                api_id = uuid.uuid4().hex[:10]
                apis[IMPLICIT_API] = ApiSpec(IMPLICIT_API, api_id, "Prod")
            return apis[IMPLICIT_API]
        for api in apis.values():
            if api.rest_api_id == rest_api_id:
                return api
        return None

    def function_event(self, function: FunctionSpec, name: str, kind: str, props: dict[str, Any]) -> None:
        owner = function.logical_id
        if kind in ("SQS", "DynamoDB") and not _enabled(props):
            self.wiring.notes.append(f"{owner}.Events.{name}: disabled")
        elif kind == "Api":
            api = self.api(props.get("RestApiId"))
            if api is None:
                rest_api_id = props.get("RestApiId")
                self.wiring.notes.append(f"{owner}.Events.{name}: API {rest_api_id} is not served locally")
                return
            self.wiring.api_routes.append(
                ApiRoute(
                    api_id=api.logical_id,
                    rest_api_id=api.rest_api_id,
                    stage=api.stage,
                    path=str(props["Path"]),
                    method=str(props["Method"]).upper(),
                    function=owner,
                    invoke=self.invoker_for(owner),
                    binary_media_types=binary_media_types(self.template, api.logical_id, self.resolver),
                )
            )
        elif kind == "SQS":
            arn = str(props["Queue"])
            scaling = props.get("ScalingConfig") or {}
            self.wiring.sqs.append(
                SqsEventSource(
                    function=owner,
                    event_name=name,
                    queue_arn=arn,
                    queue_url=self.queue_url(arn),
                    batch_size=int(props.get("BatchSize", 10)),
                    batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                    report_failures=_response_types(props),
                    filter=compile_filter_criteria(props.get("FilterCriteria")),
                    pollers=min(int(scaling.get("MaximumConcurrency", 1)), 2),
                )
            )
        elif kind == "DynamoDB":
            destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            self.wiring.streams.append(
                StreamEventSource(
                    function=owner,
                    event_name=name,
                    function_arn=function.arn,
                    stream_arn=str(props["Stream"]),
                    starting_position=str(props.get("StartingPosition", "LATEST")),
                    batch_size=int(props.get("BatchSize", 100)),
                    batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                    filter=compile_filter_criteria(props.get("FilterCriteria")),
                    report_failures=_response_types(props),
                    bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
                    maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                    on_failure_arn=str(destination) if destination else None,
                )
            )
        elif kind in ("Schedule", "ScheduleV2"):
            self.wiring.schedules.append(schedule_spec(owner, name, kind, props, arn=function.arn, target="function"))
        else:
            self.wiring.notes.append(f"{owner}.Events.{name}: {kind} events are not wired locally")


def wire_events(
    template: Template,
    result: ProvisionResult,
    *,
    invoker_for: Callable[[str], Invoke],
    clients: Callable[[str], Any],
) -> Wiring:
    """Resolve every ``Events`` entry into routes, pollers and schedules (with notes on the rest)."""
    wirer = _Wirer(result, invoker_for, clients, template)
    resolver = template.resolver(result)
    for function in result.functions.values():
        events: dict[str, Any] = resolver.resolve(function.events) or {}
        for name, event in events.items():
            try:
                wirer.function_event(function, name, str(event.get("Type")), event.get("Properties") or {})
            except (KeyError, ValueError) as exc:
                raise TemplateError(f"{function.logical_id}.Events.{name}: {exc}") from exc
    for machine in result.state_machines.values():
        for name, event in (resolver.resolve(machine.events) or {}).items():
            kind = str(event.get("Type"))
            if kind in ("Schedule", "ScheduleV2"):
                props = event.get("Properties") or {}
                wirer.wiring.schedules.append(
                    schedule_spec(machine.logical_id, name, kind, props, arn=machine.arn, target="statemachine")
                )
            else:
                wirer.wiring.notes.append(f"{machine.logical_id}.Events.{name}: {kind} events are not wired locally")
    wirer.wiring.schedules.extend(result.schedules)
    return wirer.wiring

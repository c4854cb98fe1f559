"""Facts as preflight's gather would read them, for checks tested without AWS."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from leadloop_cli.preflight.facts import AccountConcurrency, Facts, Failure, Read, SecretShape, StackFacts
from leadloop_cli.preflight.parameters import Parameters, effective

GOOD_ROUTING = '{"version":1,"forms":[{"form_id":"1","page_id":"2","audience_ids":["3"]}]}'
STACK_ROLE = "leadloop-dev-ApiGatewayLogRole-ABC123"


def params(**values: str) -> Parameters:
    return effective(defaults={}, previous=None, samconfig={}, command_line=values)


def deployed(**changes: Any) -> StackFacts:
    stack = StackFacts(
        name="leadloop-dev",
        region="eu-west-1",
        status="UPDATE_COMPLETE",
        resources={"MetaSecret": "arn:aws:secretsmanager:eu-west-1:1:secret:leadloop-dev/meta-x"},
        role_names=frozenset({STACK_ROLE}),
    )
    return replace(stack, **changes)


def facts(**changes: Any) -> Facts:
    base = Facts(
        stack=deployed(),
        identity=Read(value="111122223333"),
        logging_role=Read(value=None),
        concurrency=Read(value=AccountConcurrency(limit=1000, unreserved=1000)),
        reserved_now={},
        services={"stepfunctions": Read(value=True), "scheduler": Read(value=True)},
        secret=Read(value=SecretShape()),
        routing=Read(value=GOOD_ROUTING),
    )
    return replace(base, **changes)


def denied(code: str = "AccessDeniedException") -> Read[Any]:
    return Read(failure=Failure("denied", code))

"""Read the account and the existing stack for preflight: read-only calls only, each one guarded.

This is the one preflight module that talks to AWS. The Meta secret is read only to test its fields
for the ``REPLACE_ME`` placeholder; its values leave this module as field names, never as text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    UnknownEndpointError,
)

from leadloop.credentials import PLACEHOLDER
from leadloop_cli.preflight.facts import AccountConcurrency, Facts, Failure, Read, SecretShape, StackFacts
from leadloop_cli.preflight.parameters import RESERVED_CONCURRENCY
from leadloop_cli.target import Target

#: The secret fields every function needs (``page_access_tokens`` is optional).
REQUIRED_SECRET_FIELDS = ("app_secret", "verify_token", "access_token")
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
_CREDENTIALS = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"}
LOCAL_CONCURRENCY_NOTE = (
    "not checked on the local stack: moto serves no Lambda GetAccountSettings and the local runtime "
    "has no account concurrency limit; on AWS this compares the reservations with your account's limit"
)


def attempt[T](call: Callable[[], T]) -> Read[T]:
    try:
        return Read(value=call())
    except (BotoCoreError, ClientError) as exc:
        return Read(failure=failure_of(exc))


def failure_of(exc: BotoCoreError | ClientError) -> Failure:
    """Why a call failed, by kind and code: a region without the service is ``unreachable``."""
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | UnknownEndpointError):
        return Failure("unreachable", type(exc).__name__)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return Failure("credentials", type(exc).__name__)
    if isinstance(exc, BotoCoreError):
        return Failure("error", type(exc).__name__)
    code = str(exc.response.get("Error", {}).get("Code") or "ClientError")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in ("ResourceNotFoundException", "ParameterNotFound") or status == 404:
        return Failure("missing", code)
    return Failure("denied" if code in _DENIED else "credentials" if code in _CREDENTIALS else "error", code)


def gather(target: Target, stack: StackFacts) -> Facts:
    """Everything the checks need, for a deployed stack (or none yet) or the local one."""
    reserved = _reserved_now(target, stack) if stack.exists else {}
    concurrency: Read[AccountConcurrency] = Read()
    if not stack.local:
        concurrency = attempt(lambda: _account_concurrency(target.client("lambda")))
    return Facts(
        stack=stack,
        identity=attempt(lambda: str(target.client("sts").get_caller_identity()["Account"])),
        logging_role=attempt(lambda: target.client("apigateway").get_account().get("cloudwatchRoleArn")),
        concurrency=concurrency,
        reserved_now=reserved,
        services={
            "stepfunctions": attempt(lambda: bool(target.client("stepfunctions").list_state_machines(maxResults=1))),
            "scheduler": attempt(lambda: bool(target.client("scheduler").list_schedules(MaxResults=1))),
        },
        secret=_secret(target, stack) if stack.exists else None,
        routing=_routing(target, stack) if stack.exists else None,
        concurrency_note=LOCAL_CONCURRENCY_NOTE if stack.local else "",
    )


def deployed_stack(target: Target, name: str, region: str) -> Read[StackFacts]:
    """The stack as CloudFormation has it: status, parameter values, resources (none yet: no status)."""
    cfn = target.client("cloudformation")
    try:
        found = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return Read(value=StackFacts(name=name, region=region))
        return Read(failure=failure_of(exc))
    except BotoCoreError as exc:
        return Read(failure=failure_of(exc))
    resources: dict[str, str] = {}
    roles: set[str] = set()
    listed = attempt(lambda: _stack_resources(cfn, name))
    for summary in listed.value or []:
        resources[summary["LogicalResourceId"]] = str(summary.get("PhysicalResourceId", ""))
        if summary["ResourceType"] == "AWS::IAM::Role":
            roles.add(str(summary.get("PhysicalResourceId", "")))
    previous = {p["ParameterKey"]: str(p.get("ParameterValue", "")) for p in found.get("Parameters") or []}
    return Read(
        value=StackFacts(
            name=name,
            region=region,
            status=str(found["StackStatus"]),
            parameters=previous,
            resources=resources,
            role_names=frozenset(roles),
        )
    )


def local_stack(info: Mapping[str, Any]) -> StackFacts:
    return StackFacts(
        name=str(info.get("stack_name") or "local"),
        region=str(info["region"]),
        local=True,
        status="RUNNING",
        resources=dict(info.get("resources") or {}),
    )


def secret_shape(text: str) -> SecretShape:
    """Field names still holding the placeholder (or absent/empty); the text itself is dropped."""
    try:
        document = json.loads(text)
    except ValueError:
        return SecretShape(not_json=True)
    if not isinstance(document, dict):
        return SecretShape(not_json=True)
    placeholders = [k for k, v in document.items() if v == PLACEHOLDER]
    pages = document.get("page_access_tokens")
    if isinstance(pages, dict):
        placeholders += [f"page_access_tokens.{page}" for page, v in pages.items() if v == PLACEHOLDER]
    missing = [k for k in REQUIRED_SECRET_FIELDS if not document.get(k)]
    return SecretShape(placeholders=tuple(placeholders), missing=tuple(missing))


def _account_concurrency(lambda_client: Any) -> AccountConcurrency:
    limit = lambda_client.get_account_settings()["AccountLimit"]
    return AccountConcurrency(int(limit["ConcurrentExecutions"]), int(limit["UnreservedConcurrentExecutions"]))


def _reserved_now(target: Target, stack: StackFacts) -> dict[str, int]:
    lambda_client = target.client("lambda")
    found: dict[str, int] = {}
    for logical_id in RESERVED_CONCURRENCY:
        physical = stack.resources.get(logical_id)
        if not physical:
            continue
        # An unreadable reservation counts as none: nothing is assumed to come back.
        found[logical_id] = attempt(partial(_reservation, lambda_client, physical)).value or 0
    return found


def _reservation(lambda_client: Any, function_name: str) -> int:
    answer = lambda_client.get_function_concurrency(FunctionName=function_name)
    return int(answer.get("ReservedConcurrentExecutions") or 0)


def _secret(target: Target, stack: StackFacts) -> Read[SecretShape]:
    arn = stack.resources.get("MetaSecret")
    if not arn:
        return Read(failure=Failure("missing", "MetaSecret"))
    client = target.client("secretsmanager")
    return attempt(lambda: secret_shape(str(client.get_secret_value(SecretId=arn)["SecretString"])))


def _routing(target: Target, stack: StackFacts) -> Read[str]:
    name = stack.resources.get("RoutingParameter")
    if not name:
        return Read(failure=Failure("missing", "RoutingParameter"))
    client = target.client("ssm")
    return attempt(lambda: str(client.get_parameter(Name=name)["Parameter"]["Value"]))


def _stack_resources(cfn: Any, name: str) -> list[dict[str, Any]]:
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=name)
    return [summary for page in pages for summary in page["StackResourceSummaries"]]

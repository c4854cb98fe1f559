"""Which stack an operator command talks to: a deployed stack, or the running local stack.

``--local`` reads the state file ``leadloop dev up`` writes; otherwise the usual AWS options pick
the account, and resources are found by their template logical ids through CloudFormation.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

DEFAULT_STACK_NAME = "leadloop-dev"
_LONG_CALLS = Config(read_timeout=960, connect_timeout=10, retries={"max_attempts": 1})


class TargetError(RuntimeError):
    """The target stack cannot be found or reached."""


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target stack")
    group.add_argument("--local", action="store_true", help="use the running `leadloop dev up` stack")
    group.add_argument("--stack-name", default=DEFAULT_STACK_NAME, help="deployed stack name (default %(default)s)")
    group.add_argument("--region", help="AWS region of the deployed stack")
    group.add_argument("--profile", help="AWS profile to use")


@dataclass
class Target:
    session: boto3.session.Session
    endpoint_url: str | None = None
    stack_name: str | None = None
    resources: dict[str, str] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url, config=_LONG_CALLS)  # type: ignore[call-overload]

    def physical_id(self, logical_id: str) -> str:
        if logical_id in self.resources:
            return self.resources[logical_id]
        if self.stack_name is None:
            raise TargetError(f"the local stack has no resource {logical_id}")
        return _lookup(self, logical_id)


def local_target(info: dict[str, Any]) -> Target:
    """A target for a local stack described by its ``dev up --json`` document, as its admin user."""
    session = boto3.session.Session(
        aws_access_key_id=str(info.get("aws_access_key_id") or "testing"),
        aws_secret_access_key=str(info.get("aws_secret_access_key") or "testing"),
        region_name=str(info["region"]),
    )
    return Target(session, endpoint_url=str(info["aws_endpoint_url"]), resources=dict(info["resources"]))


def resolve_target(args: argparse.Namespace) -> Target:
    if args.local:
        from leadloop_cli.statefile import load_local_target

        return local_target(dict(load_local_target()))
    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    return Target(session, stack_name=args.stack_name)


def _lookup(target: Target, logical_id: str) -> str:
    cfn = target.client("cloudformation")
    try:
        answer = cfn.describe_stack_resource(StackName=target.stack_name, LogicalResourceId=logical_id)
    except Exception as exc:
        raise TargetError(f"cannot find {logical_id} in stack {target.stack_name}: {type(exc).__name__}") from None
    physical = str(answer["StackResourceDetail"]["PhysicalResourceId"])
    target.resources[logical_id] = physical
    return physical

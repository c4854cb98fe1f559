"""What provisioning produced: physical ids, attributes, and the specs the runtime and events need.

Kept apart from :mod:`provision` (which talks to AWS) so the event wiring, the stack and tests can use
these plain records without importing boto3 code paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .intrinsics import TemplateError

__all__ = [
    "ApiSpec",
    "FunctionSpec",
    "ProvisionResult",
    "Provisioned",
    "RoleSpec",
    "ScheduleSpec",
    "StateMachineSpec",
]


@dataclass
class Provisioned:
    """One created resource: what ``Ref`` returns and what ``GetAtt`` can return."""

    logical_id: str
    type: str
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FunctionSpec:
    """Everything the local runtime needs to run one function like Lambda would."""

    logical_id: str
    name: str
    arn: str
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    code_dir: Path | None
    layer_dirs: tuple[Path, ...]
    reserved_concurrency: int | None
    log_group: str
    log_format: str | None = None
    application_log_level: str | None = None
    events: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoleSpec:
    """An execution role: its policies as AWS holds them (resolved) and as moto evaluates them."""

    logical_id: str
    name: str
    arn: str
    policies: dict[str, Any]  # inline policy name -> document
    managed_policy_arns: tuple[str, ...]
    moto_policies: dict[str, Any]  # what is attached locally: inline and managed, rewritten for moto


@dataclass(frozen=True)
class ApiSpec:
    """A REST API (``AWS::Serverless::Api``) and its stage."""

    logical_id: str
    rest_api_id: str
    stage: str


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    name: str
    arn: str
    events: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule that fires a function or state machine (an ``Events`` entry or a Scheduler resource)."""

    owner: str  # logical id of the function / state machine, or of the AWS::Scheduler::Schedule
    name: str  # event name (or the schedule's logical id for standalone schedules)
    kind: str  # "Schedule" (EventBridge rule), "ScheduleV2" (Scheduler)
    expression: str
    target_arn: str
    target_kind: str  # "function" | "statemachine"
    input: str | None = None
    timezone: str | None = None
    enabled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "expression": self.expression,
            "timezone": self.timezone,
            "input": self.input,
            "enabled": self.enabled,
            "target_arn": self.target_arn,
            "target_kind": self.target_kind,
        }


@dataclass
class ProvisionResult:
    """Everything provisioned, plus notes on what the local stack skipped. Also an AttributeSource."""

    region: str
    account_id: str
    resources: dict[str, Provisioned] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    apis: dict[str, ApiSpec] = field(default_factory=dict)
    state_machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    schedules: list[ScheduleSpec] = field(default_factory=list)
    skipped_types: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: function / state machine / AWS::IAM::Role logical id -> the role it runs with
    roles: dict[str, RoleSpec] = field(default_factory=dict)
    #: The region's API Gateway CloudWatch Logs role (account setting); a fresh account has none.
    api_gateway_log_role: str | None = None

    def add(self, item: Provisioned) -> None:
        self.resources[item.logical_id] = item

    def physical_ids(self) -> dict[str, Any]:
        """logical id -> physical name, URL or ARN (what ``Ref`` gives), for every created resource."""
        return {lid: item.ref for lid, item in self.resources.items() if not lid.endswith("#implicit")}

    # AttributeSource -----------------------------------------------------------------
    def ref(self, logical_id: str) -> Any:
        item = self.resources.get(logical_id)
        if item is not None:
            return item.ref
        if logical_id in self.skipped_types:
            return logical_id
        raise TemplateError(f"Ref {logical_id}: resource is not provisioned (yet)")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        item = self.resources.get(logical_id)
        if item is None:
            if logical_id in self.skipped_types:
                return f"{logical_id}.{attribute}"
            raise TemplateError(f"GetAtt {logical_id}.{attribute}: resource is not provisioned (yet)")
        if attribute not in item.attributes:
            known = ", ".join(sorted(item.attributes)) or "none"
            raise TemplateError(
                f"GetAtt {logical_id}.{attribute}: {item.type} has no such attribute locally (known: {known})"
            )
        return item.attributes[attribute]

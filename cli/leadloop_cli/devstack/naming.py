"""Physical names the way CloudFormation makes them when a template gives none.

CloudFormation names an unnamed resource ``{stack}-{LogicalId}-{RANDOM}``, truncated to the service's
limit. Doing the same locally keeps code honest: nothing can depend on a hard-coded table name.
"""

from __future__ import annotations

import random
import string

__all__ = ["NameFactory"]

_LIMITS = {
    "AWS::SQS::Queue": 80,
    "AWS::DynamoDB::Table": 255,
    "AWS::Serverless::SimpleTable": 255,
    "AWS::Serverless::Function": 64,
    "AWS::Lambda::Function": 64,
    "AWS::S3::Bucket": 63,
    "AWS::Serverless::StateMachine": 80,
    "AWS::StepFunctions::StateMachine": 80,
    "AWS::IAM::Role": 64,
    "AWS::Logs::LogGroup": 512,
    "AWS::SNS::Topic": 256,
    "AWS::Scheduler::Schedule": 64,
    "AWS::Events::EventBus": 256,
    "AWS::Events::Rule": 64,
    "AWS::Events::Archive": 48,
    "AWS::Events::Connection": 64,
    "AWS::Events::ApiDestination": 64,
}
_LOWERCASE = {"AWS::S3::Bucket"}


class NameFactory:
    """Makes ``{stack}-{LogicalId}-{suffix}`` names; ``seed`` makes them reproducible in tests."""

    def __init__(self, stack_name: str, seed: int | None = None) -> None:
        self._stack_name = stack_name
        self._rng = random.Random(seed)

    def suffix(self, length: int = 12) -> str:
        return "".join(self._rng.choices(string.ascii_uppercase + string.digits, k=length))

    def physical_name(self, logical_id: str, resource_type: str, *, ending: str = "") -> str:
        """A CloudFormation-style generated name for ``logical_id`` (``ending`` e.g. ``.fifo``)."""
        limit = _LIMITS.get(resource_type, 128) - len(ending)
        suffix = self.suffix()
        base = f"{self._stack_name}-{logical_id}"[: limit - len(suffix) - 1]
        name = f"{base}-{suffix}{ending}"
        return name.lower() if resource_type in _LOWERCASE else name

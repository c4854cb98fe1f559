"""The on-demand event (a schedule's event carries none of these fields and runs everything)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from leadloop.validation import MetaId, describe_problems


class HealthRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    page_id: MetaId | None = None
    checks: list[str] | None = None

    @field_validator("checks")
    @classmethod
    def _known(cls, checks: list[str] | None) -> list[str] | None:
        from leadloop.health.checks import CHECKS

        unknown = [c for c in checks or [] if c not in CHECKS]
        if unknown:
            raise ValueError(f"unknown checks {unknown}; known: {sorted(CHECKS)}")
        return checks


class InvalidHealthRequest(ValueError):
    """The on-demand event names no Page or check we know."""


def parse_request(event: Any) -> HealthRequest:
    try:
        return HealthRequest.model_validate(event if isinstance(event, dict) else {})
    except ValidationError as exc:
        raise InvalidHealthRequest(f"invalid health check request: {describe_problems(exc, root='')}") from None

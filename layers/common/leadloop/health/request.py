"""The on-demand event (a schedule's event carries none of these fields and runs everything)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class HealthRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    page_id: Annotated[str, Field(pattern=r"^[0-9]{1,30}$")] | None = None
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
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidHealthRequest(f"invalid health check request: {problems}") from None

"""The lead as Meta announces it (a webhook notification, ids only) and as Meta returns it
(meta-api.md §1.3), validated before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from leadloop.validation import MetaId

#: Bounds of a notification's ``created_time``: before Facebook existed, or after 2100, is not a lead.
CREATED_TIME_MIN: Final = 1_072_915_200  # 2004-01-01T00:00:00Z
CREATED_TIME_MAX: Final = 4_102_444_800  # 2100-01-01T00:00:00Z
CreatedTime = Annotated[int, Field(ge=CREATED_TIME_MIN, le=CREATED_TIME_MAX)]


class LeadStatus(StrEnum):
    PENDING = "PENDING"
    FETCHED = "FETCHED"
    FAILED = "FAILED"
    FORGOTTEN = "FORGOTTEN"

    @property
    def settled(self) -> bool:
        """Nothing left to fetch: stored, or forgotten on request."""
        return self in (LeadStatus.FETCHED, LeadStatus.FORGOTTEN)


@dataclass(frozen=True)
class LeadNotification:
    """One new lead announced by Meta (ids only: the answers must be fetched)."""

    leadgen_id: str
    page_id: str | None
    form_id: str | None
    ad_id: str | None
    created_time: int | None


#: Fields every lead read asks for explicitly (Meta's default field set is not documented).
LEAD_FIELDS = (
    "id",
    "created_time",
    "form_id",
    "ad_id",
    "ad_name",
    "adset_id",
    "adset_name",
    "campaign_id",
    "campaign_name",
    "field_data",
    "custom_disclaimer_responses",
    "is_organic",
    "platform",
    "partner_name",
)
LEAD_FIELDS_PARAM = ",".join(LEAD_FIELDS)


def _none_if_zero(value: Any) -> Any:
    return None if value in ("", 0, "0") else value


_OptionalId = Annotated[MetaId | None, BeforeValidator(_none_if_zero)]


class FieldAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True, hide_input_in_errors=True)

    name: str
    values: list[str] = Field(default_factory=list)


class DisclaimerResponse(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True, hide_input_in_errors=True)

    checkbox_key: str
    is_checked: str = ""


class GraphLead(BaseModel):
    """A lead read from ``GET /{lead_id}`` or ``/{form_id}/leads``; raw answers kept verbatim."""

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True, hide_input_in_errors=True)

    id: MetaId
    created_time: datetime
    form_id: _OptionalId = None
    ad_id: _OptionalId = None
    ad_name: str | None = None
    adset_id: _OptionalId = None
    adset_name: str | None = None
    campaign_id: _OptionalId = None
    campaign_name: str | None = None
    field_data: list[FieldAnswer] = Field(default_factory=list)
    custom_disclaimer_responses: list[DisclaimerResponse] = Field(default_factory=list)
    is_organic: bool | None = None
    platform: str | None = None
    partner_name: str | None = None

    @property
    def created_epoch(self) -> int:
        return int(self.created_time.timestamp())

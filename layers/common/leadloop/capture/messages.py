"""The FetchRetryQueue / FetchRetryDLQ message: ids and bookkeeping only, never lead answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from leadloop.leads.models import CreatedTime, LeadNotification
from leadloop.validation import MetaId


class FetchRetryMessage(BaseModel):
    """A lead whose fetch must be tried again (or, in the DLQ, could not be fetched)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    v: int = 1
    leadgen_id: MetaId
    page_id: MetaId | None = None
    form_id: MetaId | None = None
    created_time: CreatedTime | None = None
    attempts: int = Field(default=0, ge=0)
    reason: str = Field(default="", max_length=600)
    #: When the webhook first queued the lead (Unix time): the throttle ceiling counts from it.
    first_notified_at: int | None = Field(default=None, ge=0)
    #: Meta's rate limit says not to read before this Unix time (see ``capture.throttle``).
    not_before: int | None = Field(default=None, ge=0)
    #: Throttled reads so far; they spend no attempts.
    throttled: int = Field(default=0, ge=0)

    @classmethod
    def from_notification(
        cls, note: LeadNotification, *, attempts: int, reason: str, first_notified_at: int | None = None
    ) -> FetchRetryMessage:
        return cls(
            leadgen_id=note.leadgen_id,
            page_id=note.page_id,
            form_id=note.form_id,
            created_time=note.created_time,
            attempts=attempts,
            reason=reason[:600],
            first_notified_at=first_notified_at,
        )

    def notification(self) -> LeadNotification:
        return LeadNotification(
            leadgen_id=self.leadgen_id,
            page_id=self.page_id,
            form_id=self.form_id,
            ad_id=None,
            created_time=self.created_time,
        )

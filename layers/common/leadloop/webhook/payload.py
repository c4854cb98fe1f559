"""Parsing Meta's ``leadgen`` webhook body into lead notifications (meta-api.md §1.2, §2.3).

One POST may carry several entries, each with several changes (up to 1,000 updates), so every
``entry`` × ``change`` is read and only ``field == "leadgen"`` kept. Ids arrive as JSON numbers that
can exceed 2^53; Python's JSON parser keeps them exact and they are stored as decimal strings.
``ad_id``/``adgroup_id`` of 0 or missing mean an organic or test lead (no ad).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

MAX_CHANGES_PER_POST = 5000


class MalformedPayload(ValueError):
    """The body is signed but is not a webhook notification we can read (answer 400)."""


def _id_or_none(value: Any) -> Any:
    if value in (None, "", 0, "0"):
        return None
    return value


_Digits = Annotated[str, Field(pattern=r"^[0-9]{1,30}$")]
_OptionalDigits = Annotated[_Digits | None, BeforeValidator(_id_or_none)]


class _LeadgenValue(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore")

    leadgen_id: _Digits
    page_id: _OptionalDigits = None
    form_id: _OptionalDigits = None
    ad_id: _OptionalDigits = None
    adgroup_id: _OptionalDigits = None
    created_time: int | None = Field(default=None, ge=0)


@dataclass(frozen=True)
class LeadNotification:
    """One new lead announced by Meta (ids only: the answers must be fetched)."""

    leadgen_id: str
    page_id: str | None
    form_id: str | None
    ad_id: str | None
    created_time: int | None


@dataclass(frozen=True)
class ParsedNotifications:
    leads: list[LeadNotification]
    ignored_changes: int
    malformed_changes: int


def parse_leadgen_notifications(raw_body: bytes) -> ParsedNotifications:
    """Read every leadgen change; raise ``MalformedPayload`` when the body is not a notification.

    Duplicate changes inside one POST are folded into one notification. Individual malformed
    leadgen changes are counted (the caller decides the status) while the valid ones are kept.
    """
    try:
        body = json.loads(raw_body)
    except (UnicodeDecodeError, ValueError):
        raise MalformedPayload("body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        raise MalformedPayload("body has no entry list")
    if not isinstance(body.get("object"), str):
        raise MalformedPayload("body has no object type")

    leads: dict[str, LeadNotification] = {}
    ignored = malformed = total = 0
    for entry in body["entry"]:
        if not isinstance(entry, dict):
            raise MalformedPayload("an entry is not an object")
        changes = entry.get("changes", [])
        if not isinstance(changes, list):
            raise MalformedPayload("an entry's changes is not a list")
        entry_page = str(entry["id"]) if isinstance(entry.get("id"), int | str) else None
        for change in changes:
            total += 1
            if total > MAX_CHANGES_PER_POST:
                raise MalformedPayload(f"more than {MAX_CHANGES_PER_POST} changes in one POST")
            if not isinstance(change, dict) or change.get("field") != "leadgen":
                ignored += 1
                continue
            try:
                value = _LeadgenValue.model_validate(change.get("value"))
            except ValidationError:
                malformed += 1
                continue
            leads.setdefault(
                value.leadgen_id,
                LeadNotification(
                    leadgen_id=value.leadgen_id,
                    page_id=value.page_id or entry_page,
                    form_id=value.form_id,
                    ad_id=value.ad_id or value.adgroup_id,
                    created_time=value.created_time,
                ),
            )
    if body["object"] != "page":
        return ParsedNotifications(leads=[], ignored_changes=total, malformed_changes=0)
    return ParsedNotifications(leads=list(leads.values()), ignored_changes=ignored, malformed_changes=malformed)

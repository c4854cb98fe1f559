"""What a LeadsTable stream record means for the lead events: captured, forgotten, or nothing.

A lead is captured when it becomes ``FETCHED`` (a webhook fetch or a backfill stored it), and
forgotten when ``leadloop forget`` turns it into a ``FORGOTTEN`` tombstone. Every other change
(stubs, retry counters, a repeated write, TTL expiry) sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from leadloop.leads.models import LeadStatus

_deserializer = TypeDeserializer()


class LeadChange(StrEnum):
    CAPTURED = "Lead Captured"
    FORGOTTEN = "Lead Forgotten"


@dataclass(frozen=True)
class LeadEventSource:
    """One lead's change, and its stored item before and after it (plain Python values).

    A tombstone keeps only the id and dates, so a forgotten lead's form and Page come from before.
    """

    change: LeadChange
    leadgen_id: str
    item: dict[str, Any]
    before: dict[str, Any]


def _status(image: dict[str, Any] | None) -> str | None:
    if not image:
        return None
    value = image.get("status", {}).get("S")
    return str(value) if value is not None else None


def lead_change(record: dict[str, Any]) -> LeadEventSource | None:
    """The event a raw stream record (Lambda's shape) calls for, or None."""
    stream = record.get("dynamodb") or {}
    new_image, old_image = stream.get("NewImage"), stream.get("OldImage")
    new_status, old_status = _status(new_image), _status(old_image)
    if new_status == old_status or new_image is None:
        return None
    if new_status == LeadStatus.FETCHED.value:
        change = LeadChange.CAPTURED
    elif new_status == LeadStatus.FORGOTTEN.value:
        change = LeadChange.FORGOTTEN
    else:
        return None
    item, before = _plain(new_image), _plain(old_image)
    leadgen_id = str(item.get("leadgen_id") or "")
    if not leadgen_id:
        raise ValueError("a stream record without leadgen_id")
    return LeadEventSource(change, leadgen_id, item, before)


def _plain(image: dict[str, Any] | None) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in (image or {}).items()}

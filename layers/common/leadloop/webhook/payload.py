"""Parsing Meta's ``leadgen`` webhook body into lead notifications (meta-api.md §1.2, §2.3).

One POST may carry several entries, each with several changes (up to 1,000 updates), so every
``entry`` × ``change`` is read and only ``field == "leadgen"`` kept. Ids arrive as JSON numbers that
can exceed 2^53; Python's JSON parser keeps them exact and they are stored as decimal strings.
``ad_id``/``adgroup_id`` of 0 or missing mean an organic or test lead (no ad).

Everything we store or queue is validated here, at the edge: ids are 1-30 ASCII digits (the
entry's ``id`` too, when it stands in for a missing ``page_id``), ``created_time`` is a Unix time
between 2004 and 2100, and the body's depth and size are bounded. A change that fails is
reported by position (never by content) and skipped; the changes around it are kept. Only a body
that is not a notification at all raises ``MalformedPayload``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from leadloop.leads.models import CreatedTime, LeadNotification
from leadloop.validation import MetaId
from leadloop.webhook import bounded_json

#: Meta batches at most 1,000 updates; far beyond that is not Meta.
MAX_CHANGES_PER_POST: Final = 5000


class MalformedPayload(ValueError):
    """The body is signed but is not a webhook notification we can read (answer 400)."""


def _id_or_none(value: Any) -> Any:
    if value in (None, "", 0, "0") and not isinstance(value, bool):
        return None
    return value


_OptionalDigits = Annotated[MetaId | None, BeforeValidator(_id_or_none)]


class _LeadgenValue(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore")

    leadgen_id: MetaId
    page_id: _OptionalDigits = None
    form_id: _OptionalDigits = None
    ad_id: _OptionalDigits = None
    adgroup_id: _OptionalDigits = None
    created_time: CreatedTime | None = None


class _EntryPage(BaseModel):
    """The entry's ``id``: the Page, for changes that do not name theirs."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: _OptionalDigits = None


@dataclass(frozen=True)
class ChangePosition:
    """Where a malformed change sat in the body (``change`` is None when the whole entry was)."""

    entry: int
    change: int | None = None

    def __str__(self) -> str:
        return f"entry[{self.entry}]" if self.change is None else f"entry[{self.entry}].changes[{self.change}]"


@dataclass(frozen=True)
class ParsedNotifications:
    leads: list[LeadNotification]
    ignored_changes: int
    malformed: tuple[ChangePosition, ...] = ()

    @property
    def malformed_changes(self) -> int:
        return len(self.malformed)


def parse_leadgen_notifications(raw_body: bytes) -> ParsedNotifications:
    """Read every leadgen change; raise ``MalformedPayload`` when the body is not a notification.

    Duplicate changes inside one POST are folded into one notification. Malformed entries and
    leadgen changes are reported by position while the valid ones are kept.
    """
    try:
        body = bounded_json.loads(raw_body)
    except ValueError:
        raise MalformedPayload("body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        raise MalformedPayload("body has no entry list")
    if not isinstance(body.get("object"), str):
        raise MalformedPayload("body has no object type")
    entries: list[Any] = body["entry"]
    if len(entries) > MAX_CHANGES_PER_POST:
        raise MalformedPayload(f"more than {MAX_CHANGES_PER_POST} entries in one POST")

    leads: dict[str, LeadNotification] = {}
    ignored = total = 0
    malformed: list[ChangePosition] = []
    for e, entry in enumerate(entries):
        changes = entry.get("changes", []) if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            malformed.append(ChangePosition(e))
            continue
        total += len(changes)
        if total > MAX_CHANGES_PER_POST:
            raise MalformedPayload(f"more than {MAX_CHANGES_PER_POST} changes in one POST")
        for c, change in enumerate(changes):
            if isinstance(change, dict) and change.get("field") != "leadgen":
                ignored += 1
                continue
            note = _notification(change, entry)
            if note is None:
                malformed.append(ChangePosition(e, c))
                continue
            leads.setdefault(note.leadgen_id, note)
    if body["object"] != "page":
        return ParsedNotifications(leads=[], ignored_changes=total)
    return ParsedNotifications(leads=list(leads.values()), ignored_changes=ignored, malformed=tuple(malformed))


def _notification(change: Any, entry: dict[str, Any]) -> LeadNotification | None:
    """The change as a notification, or None when a field we would store or queue is invalid."""
    if not isinstance(change, dict):
        return None
    try:
        value = _LeadgenValue.model_validate(change.get("value"))
        page_id = value.page_id or _EntryPage.model_validate({"id": entry.get("id")}).id
    except (ValidationError, RecursionError):
        return None
    return LeadNotification(
        leadgen_id=value.leadgen_id,
        page_id=page_id,
        form_id=value.form_id,
        ad_id=value.ad_id or value.adgroup_id,
        created_time=value.created_time,
    )

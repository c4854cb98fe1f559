"""The detail of a lead event: ids, times and where the lead came from; answers only on opt-in.

Raw answers leave DynamoDB only where the operator asked for them: a route with
``"events_include_answers": true`` (DESIGN's PII rule, as the README states it). The shape is
published as ``schemas/lead-events.schema.json``; a test keeps the two in step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from leadloop.events.changes import LeadChange, LeadEventSource

SOURCE = "leadloop"
DETAIL_VERSION = "1"
_IDS = ("page_id", "form_id", "ad_id", "adset_id", "campaign_id")
_NAMES = ("ad_name", "adset_name", "campaign_name")


def iso_time(epoch: Any) -> str | None:
    """Epoch seconds as ISO 8601 UTC (``2026-12-06T21:00:00Z``), or None."""
    if epoch is None or isinstance(epoch, bool):
        return None
    try:
        moment = datetime.fromtimestamp(int(Decimal(str(epoch))), UTC)
    except (ArithmeticError, ValueError, OverflowError, OSError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def captured_detail(source: LeadEventSource, *, include_answers: bool) -> dict[str, Any]:
    item = source.item
    detail: dict[str, Any] = {"version": DETAIL_VERSION, "leadgen_id": source.leadgen_id}
    detail |= {key: _text(item.get(key)) for key in _IDS}
    detail |= {key: _text(item.get(key)) for key in _NAMES}
    detail |= {
        "created_time": iso_time(item.get("created_time")),
        "is_organic": item.get("is_organic") if isinstance(item.get("is_organic"), bool) else None,
        "platform": _text(item.get("platform")),
        "origin": _text(item.get("source")),
        "fetched_at": iso_time(item.get("fetched_at")),
        "answers_included": include_answers,
    }
    if include_answers:
        detail["field_data"] = [
            {"name": str(a.get("name", "")), "values": [str(v) for v in a.get("values") or []]}
            for a in item.get("field_data") or []
            if isinstance(a, dict)
        ]
        detail["custom_disclaimer_responses"] = [
            {"checkbox_key": str(d.get("checkbox_key", "")), "is_checked": str(d.get("is_checked", ""))}
            for d in item.get("custom_disclaimer_responses") or []
            if isinstance(d, dict)
        ]
    return detail


def forgotten_detail(source: LeadEventSource) -> dict[str, Any]:
    before = source.before
    return {
        "version": DETAIL_VERSION,
        "leadgen_id": source.leadgen_id,
        "page_id": _text(before.get("page_id")),
        "form_id": _text(before.get("form_id")),
        "forgotten_at": iso_time(source.item.get("forgotten_at")),
    }


def without_answers(detail: dict[str, Any]) -> dict[str, Any]:
    """The same event with its answers left out (an entry too large for EventBridge)."""
    slim = {k: v for k, v in detail.items() if k not in ("field_data", "custom_disclaimer_responses")}
    return slim | {"answers_included": False, "answers_omitted": "too_large"}


def form_of(source: LeadEventSource) -> str | None:
    """The form whose route decides about answers (a tombstone's form is in the image before)."""
    form = source.item.get("form_id") if source.change is LeadChange.CAPTURED else source.before.get("form_id")
    return _text(form)

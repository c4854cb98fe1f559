"""Lead reads the way Graph renders them: field selection, time filtering and cursor paging."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from leadloop_cli.graphsim.errors import invalid_param, nonexisting_field

if TYPE_CHECKING:
    from collections.abc import Sequence

    from leadloop_cli.graphsim.models import Lead

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
    "post",
    "post_submission_check_result",
    "retailer_item_id",
    "home_listing",
    "vehicle",
)
# Meta's sample read of a lead without ``fields`` (meta-api.md §1.3) shows these five, then "…";
# the rest of Meta's default set is undocumented, so only these are served by default.
DEFAULT_LEAD_FIELDS = ("created_time", "id", "ad_id", "form_id", "field_data")
FILTER_OPERATORS = ("GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN")


def graph_time(unix: int) -> str:
    """Graph's datetime format, e.g. ``2026-11-24T10:00:00+0000``."""
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_fields(raw: object, node_type: str = "Lead", known: Sequence[str] = LEAD_FIELDS) -> list[str]:
    """``fields=a,b`` → ``["a", "b"]``; unknown names are Meta's code-100 error."""
    if raw is None or raw == "":
        return list(DEFAULT_LEAD_FIELDS) if node_type == "Lead" else ["id"]
    if isinstance(raw, list):
        names = [str(item).strip() for item in raw]
    elif isinstance(raw, str):
        names = [part.strip() for part in raw.split(",")]
    else:
        raise invalid_param("fields must be a comma-separated list")
    selected = list(dict.fromkeys(name for name in names if name))
    for name in selected:
        if name not in known:
            raise nonexisting_field(name, node_type)
    return selected


def render_lead(lead: Lead, fields: Sequence[str]) -> dict[str, Any]:
    """The lead with only the requested fields; ``id`` always, absent values left out like Meta."""
    values: dict[str, Any] = {
        "created_time": graph_time(lead.created_time),
        "form_id": lead.form_id,
        "ad_id": lead.ad_id,
        "ad_name": lead.ad_name,
        "adset_id": lead.adset_id,
        "adset_name": lead.adset_name,
        "campaign_id": lead.campaign_id,
        "campaign_name": lead.campaign_name,
        "field_data": [{"name": answer.name, "values": list(answer.values)} for answer in lead.field_data],
        "custom_disclaimer_responses": [
            {"checkbox_key": r.checkbox_key, "is_checked": r.is_checked} for r in lead.custom_disclaimer_responses
        ]
        or None,
        "is_organic": lead.ad_id is None,
        "platform": lead.platform,
        "partner_name": lead.partner_name,
    }
    rendered: dict[str, Any] = {}
    for name in fields:
        if name == "id":
            continue
        value = values.get(name)
        if value is not None:
            rendered[name] = value
    rendered["id"] = lead.id
    return rendered


@dataclass(frozen=True)
class TimeFilter:
    """One ``filtering`` condition on ``time_created``."""

    operator: str
    value: int

    def accepts(self, created_time: int) -> bool:
        """Whether a lead created at ``created_time`` passes this condition."""
        if self.operator == "GREATER_THAN":
            return created_time > self.value
        if self.operator == "GREATER_THAN_OR_EQUAL":
            return created_time >= self.value
        return created_time < self.value


def parse_filtering(raw: object) -> list[TimeFilter]:
    """The ``filtering`` parameter (a JSON array, conditions ANDed) → conditions; bad input is code 100."""
    if raw is None or raw == "":
        return []
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise invalid_param(f"filtering must be a JSON array: {exc.msg}") from exc
    if not isinstance(items, list):
        raise invalid_param("filtering must be a JSON array of {field, operator, value}")
    conditions = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"field", "operator", "value"}:
            raise invalid_param("each filtering entry must be an object with field, operator and value")
        field, operator, value = item.get("field"), item.get("operator"), item.get("value")
        if field != "time_created":
            raise invalid_param(f"Filtering field {field} is not supported on this edge (use time_created)")
        if operator not in FILTER_OPERATORS:
            raise invalid_param(f"Filtering operator {operator} is not supported for field time_created")
        conditions.append(TimeFilter(operator=str(operator), value=_unix(value)))
    return conditions


def _unix(value: object) -> int:
    if isinstance(value, bool):
        raise invalid_param("filtering value for time_created must be a unix timestamp")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise invalid_param("filtering value for time_created must be a unix timestamp")


def encode_cursor(lead: Lead) -> str:
    """An opaque cursor naming a lead's position (base64, like Meta's ``QVFI...`` strings)."""
    raw = f"{lead.created_time}:{lead.seq}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """A cursor back to the ``(created_time, seq)`` position; garbage is code 100."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, seq = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        return int(created), int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise invalid_param("The paging cursor is invalid") from exc


def parse_limit(raw: object, default: int, cap: int) -> int:
    """``limit`` → a page size in ``1..cap`` (values above the cap are clamped, as Graph edges do)."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise invalid_param("limit must be a positive integer")
    try:
        limit = int(str(raw).strip())
    except ValueError as exc:
        raise invalid_param("limit must be a positive integer") from exc
    if limit < 1:
        raise invalid_param("limit must be a positive integer")
    return min(limit, cap)


@dataclass(frozen=True)
class LeadPage:
    """One page of a leads edge, and whether leads remain on either side of it."""

    leads: list[Lead]
    has_before: bool
    has_after: bool


def page_leads(
    leads: Sequence[Lead],
    *,
    filters: Sequence[TimeFilter],
    limit: int,
    after: str | None = None,
    before: str | None = None,
) -> LeadPage:
    """Newest-first leads passing every filter, ``limit`` at a time, on either side of a cursor.

    ``after`` gives the leads following the cursor (older); ``before`` the ``limit`` leads just
    preceding it (newer), as Graph's cursor paging does both ways.
    """
    matching = [lead for lead in leads if all(f.accepts(lead.created_time) for f in filters)]
    if before:
        position = decode_cursor(before)
        newer = [lead for lead in matching if lead.sort_key > position]
        return LeadPage(leads=newer[-limit:], has_before=len(newer) > limit, has_after=len(newer) < len(matching))
    start = 0
    if after:
        position = decode_cursor(after)
        start = next((i for i, lead in enumerate(matching) if lead.sort_key < position), len(matching))
    rest = matching[start:]
    return LeadPage(leads=rest[:limit], has_before=start > 0, has_after=len(rest) > limit)


def unix_or_iso(value: object) -> int:
    """A lead ``created_time`` given as unix seconds or an ISO-8601 string → unix seconds."""
    if isinstance(value, bool):
        raise ValueError("created_time must be unix seconds or an ISO-8601 string")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"created_time {value!r} is neither unix seconds nor ISO-8601") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    raise ValueError("created_time must be unix seconds or an ISO-8601 string")

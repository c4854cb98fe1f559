"""One stored lead as a readable JSON document (``leadloop leads show``).

Everything the item holds is shown, so an operator sees what the pipeline sees: status, where it
came from, Meta's ids, the answers and consent check boxes in Meta's own shape, and the fetch
bookkeeping. Epoch-second attributes are shown as ISO 8601 UTC; DynamoDB numbers become JSON
numbers. Known attributes come first in a fixed order, anything else after them by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary

from leadloop_cli.leadsexport.columns import iso_utc

__all__ = ["lead_document"]

_ORDER = (
    "leadgen_id",
    "status",
    "source",
    "created_time",
    "created_time_iso",
    "first_seen_at",
    "notified_at",
    "fetched_at",
    "forgotten_at",
    "expires_at",
    "page_id",
    "form_id",
    "ad_id",
    "ad_name",
    "adset_id",
    "adset_name",
    "campaign_id",
    "campaign_name",
    "is_organic",
    "platform",
    "partner_name",
    "field_data",
    "custom_disclaimer_responses",
    "notifications",
    "fetch_attempts",
    "last_error",
    "last_error_at",
)
_EPOCH_ATTRIBUTES = frozenset(
    {"created_time", "first_seen_at", "notified_at", "fetched_at", "forgotten_at", "expires_at", "last_error_at"}
)


def lead_document(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item with ``leadgen_id`` shown as ``id``, epoch seconds as ISO 8601 UTC and numbers as JSON's."""
    ordered = [k for k in _ORDER if k in item] + sorted(k for k in item if k not in _ORDER)
    document: dict[str, Any] = {}
    for key in ordered:
        value = _plain(item[key])
        if key == "created_time_iso":
            continue  # the same moment as created_time, in Meta's offset; created_time below is UTC
        if key in _EPOCH_ATTRIBUTES and isinstance(value, int):
            value = iso_utc(value)
        document["id" if key == "leadgen_id" else key] = value
    return document


def _plain(value: Any) -> Any:
    """DynamoDB's deserialized shapes as JSON's: Decimal → int/float, sets → sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Binary):
        return bytes(getattr(value, "value", b"")).hex()  # boto3-stubs leave Binary untyped
    return value

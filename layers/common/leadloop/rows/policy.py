"""What a lead becomes in an audience: the same row for the LeadHasher and the AudienceReplace.

A form's route gives the schema (its own, or ``LEAD_SCHEMA``), the field map and, when it opts in,
the Limited Data Use columns. ``lead_row`` is the one place a lead's answers become a payload row,
so a nightly replace sends exactly the rows the hasher sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadloop.audience import HashedRow, hash_row, normalize
from leadloop.audience.keys import (
    DATA_PROCESSING_OPTIONS,
    DATA_PROCESSING_OPTIONS_COUNTRY,
    DATA_PROCESSING_OPTIONS_STATE,
    LDU_KEYS,
    LDU_SCHEMA,
)
from leadloop.routing import FormRoute
from leadloop.rows.mapping import lead_record

#: The schema of lead-fed audiences unless a form's route sets its own. Meta locks an audience's
#: data format after the first upload, so it must stay the same for every row of an audience.
LEAD_SCHEMA = ("EMAIL", "PHONE", "FN", "LN", "CT", "ST", "ZIP", "COUNTRY", "DOBY", "DOBM", "DOBD", "GEN")


def with_ldu(record: dict[str, str], default_country: str | None) -> dict[str, str]:
    """Limited Data Use for one lead (meta-api.md §8): customer lists honour it for California only.

    Every row opts in; a lead whose answers say California gets Meta's codes (USA 1, California
    1000); any other lead gets 0/0 so Meta geolocates it, which is Meta's rule for unknown places.
    """
    country = normalize("COUNTRY", record.get("COUNTRY", "")) or (default_country or "").lower() or None
    state = normalize("ST", record.get("ST", ""), country=country)
    californian = state == "ca" and country in (None, "us")
    return record | {
        DATA_PROCESSING_OPTIONS: "LDU",
        DATA_PROCESSING_OPTIONS_COUNTRY: "1" if californian else "0",
        DATA_PROCESSING_OPTIONS_STATE: "1000" if californian else "0",
    }


def route_schema(route: FormRoute) -> list[str]:
    """The payload schema of a form's leads (its own, or LEAD_SCHEMA; LDU columns when it opts in)."""
    schema = list(route.schema_keys or LEAD_SCHEMA)
    if route.ldu:
        schema += [k for k in LDU_SCHEMA if k not in schema]
    return schema


def lead_row(field_data: Any, route: FormRoute) -> HashedRow:
    """One lead's payload row in ``route_schema(route)`` order, with the cells refused and why."""
    record = lead_record(field_data or [], route.field_map)
    if route.ldu:
        record = with_ldu(record, route.default_country)
    return hash_row(record, route_schema(route), default_country=route.default_country)


def identifies(schema: Sequence[str], cells: Sequence[str]) -> bool:
    """Whether a row has a cell Meta can match on (LDU columns identify nobody)."""
    return any(cell for key, cell in zip(schema, cells, strict=True) if key not in LDU_KEYS)

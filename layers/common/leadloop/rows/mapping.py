"""From a lead's ``field_data`` to a record keyed by Meta schema keys.

Meta does not document the default field names of its prefill questions (meta-api.md §1.9); the
names below are the ones seen in Meta's examples and in practice. A form's routing entry can map
any other field id (custom questions, renamed keys) with ``field_map``; ``IGNORE`` drops a field.
Two pseudo keys split a value over several schema keys: ``FULL_NAME`` → FN + LN (first word / last
word, so "Mary Ann Smith" gives FN "mary", LN "smith" after normalization; middle names are the
least reliable match signal), and ``DOB`` → DOBY/DOBM/DOBD through ``split_date``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadloop.audience import split_date

FULL_NAME = "FULL_NAME"
DATE_OF_BIRTH = "DOB"
IGNORE = "IGNORE"

DEFAULT_FIELD_MAP: Mapping[str, str] = {
    "email": "EMAIL",
    "work_email": "EMAIL",
    "phone_number": "PHONE",
    "phone": "PHONE",
    "work_phone_number": "PHONE",
    "first_name": "FN",
    "last_name": "LN",
    "full_name": FULL_NAME,
    "city": "CT",
    "state": "ST",
    "province": "ST",
    "zip_code": "ZIP",
    "post_code": "ZIP",
    "postal_code": "ZIP",
    "zip": "ZIP",
    "country": "COUNTRY",
    "date_of_birth": DATE_OF_BIRTH,
    "dob": DATE_OF_BIRTH,
    "gender": "GEN",
}


def lead_record(field_data: Sequence[Mapping[str, Any]], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The lead's answers keyed by schema key (the first answer wins when two fields map to one key)."""
    field_map = {**DEFAULT_FIELD_MAP, **{k.lower(): v.upper() for k, v in (overrides or {}).items()}}
    record: dict[str, str] = {}
    for answer in field_data:
        name = str(answer.get("name", "")).strip().lower()
        values = answer.get("values") or []
        value = str(values[0]).strip() if values else ""
        key = field_map.get(name)
        if not key or key == IGNORE or not value:
            continue
        for schema_key, part in _expand(key, value).items():
            if part:
                record.setdefault(schema_key, part)
    return record


def _expand(key: str, value: str) -> dict[str, str]:
    if key == FULL_NAME:
        words = value.split()
        if len(words) < 2:
            return {"FN": value}
        return {"FN": words[0], "LN": words[-1]}
    if key == DATE_OF_BIRTH:
        parts = split_date(value)
        if parts is None:
            return {}
        year, month, day = parts
        return {"DOBY": year, "DOBM": month, "DOBD": day}
    return {key: value}

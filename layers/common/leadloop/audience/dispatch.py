"""One value of one schema key → Meta's normal form (:func:`normalize_cell`, :func:`normalize`).

Dispatches to the module that owns the key after turning the input into clean text
(:func:`leadloop.audience.text.prepare`). EXTERN_ID only loses surrounding whitespace, and the LDU
columns read lists and booleans as well as text. The country hint may be any spelling the COUNTRY
key accepts ("US", "us", "USA", "United States"); one that names no country counts as no hint.

Nothing here raises: a bug in a rule would surface as ``invalid_value`` for that cell rather than
fail a whole file or stream batch (the tests call :func:`normalize_cell_unchecked` so such a bug
cannot hide).
"""

from __future__ import annotations

from collections.abc import Callable

from leadloop.audience import dates, email, gender, ids, ldu, location, names, phone
from leadloop.audience import keys as k
from leadloop.audience.country import country_hint, normalize_country
from leadloop.audience.reasons import EMPTY, INVALID_VALUE, MAX_INPUT_CHARS, TOO_LONG, UNKNOWN_KEY, Normalized
from leadloop.audience.text import PLACEHOLDERS, prepare, to_text

TextRule = Callable[[str, str | None], Normalized]
ValueRule = Callable[[object], Normalized]

TEXT_RULES: dict[str, TextRule] = {
    k.EMAIL: email.normalize_email,
    k.PHONE: phone.normalize_phone,
    k.GEN: gender.normalize_gender,
    k.DOBY: dates.normalize_year,
    k.DOBM: dates.normalize_month,
    k.DOBD: dates.normalize_day,
    k.LN: names.normalize_name,
    k.FN: names.normalize_name,
    k.FI: names.normalize_initial,
    k.CT: location.normalize_city,
    k.ST: location.normalize_state,
    k.ZIP: location.normalize_zip,
    k.COUNTRY: normalize_country,
    k.MADID: ids.normalize_madid,
    k.EXTERN_ID: ids.normalize_extern_id,
    k.PAGEUID: ids.normalize_scoped_id,
    k.APPUID: ids.normalize_scoped_id,
    k.LOOKALIKE_VALUE: ids.normalize_value,
}
VALUE_RULES: dict[str, ValueRule] = {
    k.DATA_PROCESSING_OPTIONS: ldu.normalize_options,
    k.DATA_PROCESSING_OPTIONS_COUNTRY: ldu.normalize_ldu_country,
    k.DATA_PROCESSING_OPTIONS_STATE: ldu.normalize_ldu_state,
}


def _opaque_text(value: object) -> str | Normalized:
    """EXTERN_ID's text: only surrounding whitespace removed; it must still be encodable as UTF-8."""
    text = to_text(value)
    if not isinstance(text, str):
        return text
    if len(text) > MAX_INPUT_CHARS:
        return TOO_LONG
    text = text.strip()
    if not text:
        return EMPTY
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return INVALID_VALUE
    return text


def normalize_known(key: str, value: object, hint: str | None) -> Normalized:
    """:func:`normalize_cell` for a canonical ``key`` and an already-resolved alpha-2 ``hint``."""
    value_rule = VALUE_RULES.get(key)
    if value_rule is not None:
        return value_rule(value)
    if key == k.EXTERN_ID:
        text = _opaque_text(value)
        return text if not isinstance(text, str) else ids.normalize_extern_id(text)
    text = prepare(value)
    if not isinstance(text, str):
        return text
    result = TEXT_RULES[key](text, hint if key in k.HINTED_KEYS else None)
    return EMPTY if result.value in PLACEHOLDERS else result


def normalize_cell_unchecked(key: str, value: object, *, country: str | None = None) -> Normalized:
    """:func:`normalize_cell` without the safety net (for tests that hunt for exceptions)."""
    canonical = k.canonical_key(key)
    if canonical is None:
        return UNKNOWN_KEY
    hint = country_hint(country) if country is not None and canonical in k.HINTED_KEYS else None
    return normalize_known(canonical, value, hint)


def normalize_cell(key: str, value: object, *, country: str | None = None) -> Normalized:
    """Meta's normal form of ``value`` for schema ``key`` with the reason when there is none. Never raises."""
    try:
        return normalize_cell_unchecked(key, value, country=country)
    except Exception:  # a rule bug must cost one cell, not the batch
        return INVALID_VALUE


def normalize(key: str, value: object, *, country: str | None = None) -> str | None:
    """Meta's normal form of ``value`` for schema ``key``, or None when empty or not valid. Never raises."""
    return normalize_cell(key, value, country=country).value

"""The result of normalizing one cell, and the fixed reason tokens for a cell that has no value.

Reason tokens are part of the public contract: rejection reports count by them and the CLI prints
them, so they are stable strings and never carry the value itself.

=====================  ==========================================================================
token                  meaning
=====================  ==========================================================================
``empty``              nothing there: None, blank, whitespace/control characters only, or a
                       placeholder such as ``NULL``/``N/A``/``None`` (not counted as a rejection)
``too_long``           longer than any real value of the key (:data:`MAX_INPUT_CHARS`)
``invalid_value``      not text or a number (lists, objects, NaN, bytes that are not UTF-8), or
                       a LOOKALIKE_VALUE / LDU value outside what Meta accepts
``invalid_email``      not an address: needs one ``@``, a local part and a dotted domain
``invalid_phone``      no valid number with a country calling code can be made of it
``invalid_gender``     not a recognised spelling of male or female
``invalid_date``       DOBY/DOBM/DOBD out of range or unreadable
``invalid_name``       FN/LN/FI with no letter left after removing the rest
``invalid_city``       CT with no a–z letter left
``invalid_state``      ST that is not a US state (US rows) or has no a–z letter left
``invalid_zip``        ZIP that is not a postal code of the row's country
``invalid_country``    COUNTRY that is not a country name or ISO 3166-1 alpha-2/alpha-3 code; a
                       number (an ISO numeric code too) is refused
``invalid_madid``      MADID that is not a (non-zero) IDFA/GAID UUID
``invalid_id``         PAGEUID/APPUID that is not a numeric id
``unknown_key``        a schema key Meta does not define
``not_hashed_input``   a key declared pre-hashed whose cell is not a SHA-256 hex digest
``hash_of_empty``      a key declared pre-hashed whose cell is SHA-256 of the empty string
=====================  ==========================================================================
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

# No real value of any key is longer; anything longer is refused before any work is done on it.
MAX_INPUT_CHARS = 512


class Reason(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    INVALID_VALUE = "invalid_value"
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    INVALID_GENDER = "invalid_gender"
    INVALID_DATE = "invalid_date"
    INVALID_NAME = "invalid_name"
    INVALID_CITY = "invalid_city"
    INVALID_STATE = "invalid_state"
    INVALID_ZIP = "invalid_zip"
    INVALID_COUNTRY = "invalid_country"
    INVALID_MADID = "invalid_madid"
    INVALID_ID = "invalid_id"
    UNKNOWN_KEY = "unknown_key"
    NOT_HASHED_INPUT = "not_hashed_input"
    HASH_OF_EMPTY = "hash_of_empty"


REASONS: frozenset[str] = frozenset(r.value for r in Reason)


class Normalized(NamedTuple):
    """``value`` is Meta's normal form, or None and then ``reason`` says why (one of :class:`Reason`)."""

    value: str | None
    reason: str | None = None


def fail(reason: Reason) -> Normalized:
    """A valueless result; the reason is stored as its plain string so callers see ``"empty"``, not an enum."""
    return Normalized(None, reason.value)


EMPTY = fail(Reason.EMPTY)
TOO_LONG = fail(Reason.TOO_LONG)
INVALID_VALUE = fail(Reason.INVALID_VALUE)
UNKNOWN_KEY = fail(Reason.UNKNOWN_KEY)

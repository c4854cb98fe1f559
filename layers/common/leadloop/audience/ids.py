"""Keys Meta says not to hash: MADID, EXTERN_ID, PAGEUID, APPUID and LOOKALIKE_VALUE (meta-api.md §5.5, §7).

* MADID (IDFA / Android advertising id): lower-case with hyphens kept, as Meta asks. It must be a
  UUID; 32 hex digits without hyphens get them inserted (8-4-4-4-12) and surrounding braces go.
  The all-zero id that iOS reports when tracking is limited is ``invalid_madid``: it is everyone.
* EXTERN_ID: the advertiser's own id, sent exactly as given apart from surrounding whitespace
  (a space-padded CSV column must not make a second id). Case, inner spaces and Unicode form are
  untouched, and placeholders like "NULL" are kept: it is an opaque id. Meta's Python SDK
  lower-cases it, which breaks case-sensitive ids. The one refusal: SHA-256 of the empty string
  (``hash_of_empty``), i.e. a hashed missing id.
* PAGEUID / APPUID: page- and app-scoped user ids are numeric strings; anything else is
  ``invalid_id``.
* LOOKALIKE_VALUE: a customer value, a non-negative decimal number. Written canonically: no
  exponent, no trailing zeros, no thousands separators or a leading currency sign (``"$1,250.50"``
  → ``1250.5``, ``140.0`` → ``140``, ``1e3`` → ``1000``); negative or non-numeric values are
  ``invalid_value`` (RudderStack sends 0, which Meta would read as a real value).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from leadloop.audience.reasons import INVALID_VALUE, Normalized, Reason, fail

INVALID_MADID = fail(Reason.INVALID_MADID)
INVALID_ID = fail(Reason.INVALID_ID)
HASH_OF_EMPTY = fail(Reason.HASH_OF_EMPTY)
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ZERO_MADID = "00000000-0000-0000-0000-000000000000"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_SCOPED_ID = re.compile(r"[0-9]{1,24}")
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d{1,3})?", re.IGNORECASE)
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_CURRENCY = "$€£¥₹"
# A customer value above a quadrillion or finer than 1e-10 is a data error, not a value.
_MAX_ADJUSTED = 15
_MIN_ADJUSTED = -10


def normalize_madid(text: str, country: str | None = None) -> Normalized:
    madid = text.lower()
    if madid.startswith("{") and madid.endswith("}"):
        madid = madid[1:-1].strip()
    if _HEX32.fullmatch(madid):
        madid = f"{madid[:8]}-{madid[8:12]}-{madid[12:16]}-{madid[16:20]}-{madid[20:]}"
    if _UUID.fullmatch(madid) is None or madid == ZERO_MADID:
        return INVALID_MADID
    return Normalized(madid, None)


def normalize_extern_id(text: str, country: str | None = None) -> Normalized:
    # A caller who hashed an empty id sent nothing; a row never carries SHA-256("").
    if len(text) == 64 and text.lower() == EMPTY_SHA256:
        return HASH_OF_EMPTY
    return Normalized(text, None)


def normalize_scoped_id(text: str, country: str | None = None) -> Normalized:
    return Normalized(text, None) if text.isascii() and _SCOPED_ID.fullmatch(text) else INVALID_ID


def normalize_value(text: str, country: str | None = None) -> Normalized:
    number = text[1:].lstrip() if text[:1] in _CURRENCY else text
    if _THOUSANDS.fullmatch(number):
        number = number.replace(",", "")
    if not number.isascii() or _NUMBER.fullmatch(number) is None:
        return INVALID_VALUE
    try:
        value = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        return INVALID_VALUE
    if value == 0:
        return Normalized("0", None)
    if not _MIN_ADJUSTED <= value.adjusted() <= _MAX_ADJUSTED:
        return INVALID_VALUE
    canonical = format(value.normalize(), "f")
    if "." in canonical:
        canonical = canonical.rstrip("0").rstrip(".")
    return Normalized(canonical, None)

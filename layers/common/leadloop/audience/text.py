"""Turning whatever a caller passes into clean text, and the few text helpers every key shares.

Every normalizer receives text that went through :func:`prepare`: a ``str`` that is non-empty,
NFC-composed (so a decomposed "José" equals the composed one), free of control and invisible
format characters (zero-width spaces, BOMs, soft hyphens, lone surrogates), with Unicode spaces
turned into plain spaces and the ends trimmed. Numbers are accepted because spreadsheets turn
phones, ZIPs and ids into numbers (``94025.0`` is ``"94025"``), and the same number exported as
text (``"94025.0"``) reads the same way. Anything else is refused with a reason instead of an
exception.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal

from leadloop.audience.reasons import EMPTY, INVALID_VALUE, MAX_INPUT_CHARS, TOO_LONG, Normalized

# Placeholders CRMs, spreadsheets and code write for "no value" (SQL/JSON null, Python None, Excel
# #N/A, JavaScript undefined); hashing them would only add noise. Not "na" (Namibia's code), "nan"
# or "nil" (given names), nor "-" (cleared by each key's own rules anyway). A normalized value
# equal to one of them also counts as empty, so normalizing stays idempotent ("N.ull" → empty).
PLACEHOLDERS: frozenset[str] = frozenset({"null", "none", "n/a", "#n/a", "undefined"})

_ASCII_CONTROLS = {i: (" " if chr(i) in "\t\n\v\f\r\x1c\x1d\x1e\x1f" else None) for i in (*range(32), 127)}
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SPACE_CATEGORIES = frozenset({"Zs", "Zl", "Zp"})
# Latin letters NFKD does not decompose; spelled the way they are usually romanized.
_LATIN_EXTRA = str.maketrans(
    {"ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l",
     "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i", "ħ": "h", "Ħ": "h", "ŋ": "n", "Ŋ": "n"}
)  # fmt: skip
_NOT_ASCII_LOWER = {i: None for i in range(128) if not ("a" <= chr(i) <= "z")}
# An integer a spreadsheet or dataframe wrote as a float: "15559876543.0", "1987.0".
FLOAT_INTEGER = re.compile(r"(\+?[0-9]+)\.0+")
# Python refuses str() of ints above 4300 digits; nothing that long is a value anyway.
_MAX_INT_BITS = MAX_INPUT_CHARS * 4


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``text`` as 64 lowercase hex characters (Meta's only accepted form)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_text(value: object) -> str | Normalized:
    """``value`` as a str, or a failed :class:`Normalized` when it is not text or a number."""
    if isinstance(value, str):
        return value
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return INVALID_VALUE
    if isinstance(value, int):
        return str(value) if value.bit_length() <= _MAX_INT_BITS else TOO_LONG
    if isinstance(value, float):
        if not math.isfinite(value):
            return INVALID_VALUE
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > MAX_INPUT_CHARS:
            return INVALID_VALUE
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, bytes | bytearray):
        if len(value) > MAX_INPUT_CHARS * 4:
            return TOO_LONG
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return INVALID_VALUE
    return INVALID_VALUE


def clean(text: str) -> str:
    """Trimmed, NFC text without control or invisible characters; Unicode spaces become ' '."""
    if text.isascii():
        if not text.isprintable():
            text = text.translate(_ASCII_CONTROLS)
        return text.strip()
    if not text.isprintable():
        parts: list[str] = []
        for ch in text:
            category = unicodedata.category(ch)
            if category in _SPACE_CATEGORIES:
                parts.append(" ")
            elif category in _DROP_CATEGORIES:
                if ch in "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85":
                    parts.append(" ")
            else:
                parts.append(ch)
        text = "".join(parts)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.strip()


def prepare(value: object, *, placeholders: bool = True) -> str | Normalized:
    """Clean, non-empty text for a normalizer, or why there is none (empty, too long, not text)."""
    text = to_text(value)
    if not isinstance(text, str):
        return text
    if len(text) > MAX_INPUT_CHARS:
        return TOO_LONG
    text = clean(text)
    if not text:
        return EMPTY
    if placeholders and len(text) <= 9 and text.lower() in PLACEHOLDERS:
        return EMPTY
    if text[-1] == "0" and (integer := FLOAT_INTEGER.fullmatch(text)) is not None:
        return integer.group(1)
    return text


def nfc(text: str) -> str:
    return text if text.isascii() or unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


# What a placeholder's letters can be ("N/A" → "na"): such a value is left to the full rules.
_PLACEHOLDER_LETTERS = frozenset({"null", "none", "na", "undefined"})


def letter_shortcut(letters: Callable[[str], str]) -> Callable[[str, str | None], str | None]:
    """A shortcut for a key whose rule is "the letters of the text" (FN/LN: any script; CT: a–z).

    For printable, NFC-composed input :func:`prepare` only trims (or finds a placeholder, a float
    or nothing), and ``letters`` ignores the spaces it trims, so ``letters(raw)`` is the full
    rules' answer unless it is empty or could be a placeholder's; then None sends the value down
    the full path. ASCII input, the usual case, skips even the call: both letter rules keep a–z.
    """

    def shortcut(raw: str, country: str | None = None) -> str | None:
        if len(raw) > MAX_INPUT_CHARS:
            return None
        if raw.isascii():
            if not raw.isprintable():
                return None
            found = raw.lower().translate(_NOT_ASCII_LOWER)
        elif raw.isprintable() and unicodedata.is_normalized("NFC", raw):
            found = letters(raw)
        else:
            return None
        return found if found and found not in _PLACEHOLDER_LETTERS else None

    return shortcut


def ascii_letters(text: str) -> str:
    """Lowercase a–z only: accents dropped ("São Paulo" → "saopaulo"), other scripts and the rest removed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_LATIN_EXTRA))
        text = "".join(ch for ch in text if ch.isascii())
    return text.lower().translate(_NOT_ASCII_LOWER)

"""FN, LN and FI: lower-case letters only, no punctuation; UTF-8 letters allowed (meta-api.md §7.2).

Choices where Meta is silent:

* Letters of every script are kept, with their accents ("José" → ``josé``, "정" → ``정``), because
  Meta allows UTF-8 names for FN/LN; Meta's SDKs delete them (``jos``), which can never match.
  Combining marks are kept when they belong to a kept letter (Devanagari vowel signs, accents
  that have no precomposed form); the text is NFC so composed and decomposed forms hash alike.
* Spaces, hyphens, apostrophes, dots and digits are removed: "Mary Ann" → ``maryann``,
  "O'Brien" → ``obrien``, "Mary-Jane" → ``maryjane``. Meta's table says "a–z only, no punctuation"
  and its own SDK removes spaces; the peers that keep spaces produce a third, unmatched hash.
* Emoji, symbols and variation selectors go; a name with no letter left is ``invalid_name``.
* Titles and suffixes ("Dr", "Jr") are not removed: there is no safe list, and Meta says nothing.
* FI is the first letter (code point) of the normalized first name: "John" → ``j``, not ``john``
  as Meta's Python SDK sends.
"""

from __future__ import annotations

import re
import unicodedata

from leadloop.audience.reasons import Normalized, Reason, fail
from leadloop.audience.text import letter_shortcut, nfc

INVALID = fail(Reason.INVALID_NAME)
_NOT_ASCII_LOWER = {i: None for i in range(128) if not ("a" <= chr(i) <= "z")}
_ASCII_NOT_LETTER = re.compile(r"[\x00-\x40\x5b-\x60\x7b-\x7f]+")


def _is_variation_selector(ch: str) -> bool:
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


def name_letters(text: str) -> str:
    """Lower-case letters (any script) and the marks attached to them; everything else removed."""
    if text.isascii():
        return text.lower().translate(_NOT_ASCII_LOWER)
    lowered = nfc(text.lower())
    # Without its ASCII punctuation, digits and spaces, a name whose every character is a letter
    # (accented Latin, Greek, Cyrillic, CJK...) has no mark to keep: it is its letters.
    letters = _ASCII_NOT_LETTER.sub("", lowered)
    if letters.isalpha():
        return nfc(letters)
    kept: list[str] = []
    after_letter = False
    for ch in lowered:
        major = unicodedata.category(ch)[0]
        if major == "L":
            kept.append(ch)
            after_letter = True
        elif major == "M" and after_letter and not _is_variation_selector(ch):
            kept.append(ch)
        else:
            after_letter = False
    return nfc("".join(kept))


def normalize_name(text: str, country: str | None = None) -> Normalized:
    letters = name_letters(text)
    return Normalized(letters, None) if letters else INVALID


def normalize_initial(text: str, country: str | None = None) -> Normalized:
    letters = name_letters(text)
    return Normalized(letters[0], None) if letters else INVALID


fast_name = letter_shortcut(name_letters)
"""FN/LN's value for plain input (:func:`~.text.letter_shortcut`), or None for the full path."""


def fast_initial(raw: str, country: str | None = None) -> str | None:
    """:func:`normalize_initial`'s value for plain input (see :func:`fast_name`); else None."""
    letters = fast_name(raw, country)
    return letters[0] if letters else None

"""CT, ST and ZIP (meta-api.md §7.2). ST and ZIP depend on the row's country (the hint).

CT: lower-case a–z only, no spaces or punctuation: "Menlo Park" → ``menlopark``. Meta's table says
"a–z only", so Latin accents are transliterated rather than dropped with their letter ("São Paulo"
→ ``saopaulo``, "Zürich" → ``zurich``, "Kraków" → ``krakow``; Meta's SDK sends ``sopaulo``). A city
written only in another script has no a–z letter left and is ``invalid_city``.

ST:

* US rows (hint ``us`` or a US territory: pr, gu, vi, as, mp, um): the two-letter USPS/ANSI code,
  lower-case, from the code or the full name in any case/spacing ("New York", "new-york",
  "NY", "District of Columbia", "Washington DC"); the 50 states, DC, the five inhabited
  territories and the armed-forces codes AA/AE/AP. Anything else is ``invalid_state`` (Meta wants
  a code; "Calif." cannot match).
* Other countries: lower-case a–z without punctuation, spaces or accents ("Île-de-France" →
  ``iledefrance``, "ON" → ``on``), as Meta's table says; no province-name mapping.
* No hint: a recognised US state name or code becomes the code, anything else is treated as
  "other country". (A bare "CA" is then California, not Canada.)

ZIP:

* US rows (us and the territories/freely associated states that use US ZIP codes): the first five
  digits. ``94025-1234``, ``94025 1234`` and ``940251234`` → ``94025``. Three- and four-digit values
  are left-padded (a spreadsheet that stored ``02134`` as a number gives ``2134``), an eight-digit
  one is padded to nine; other shapes are ``invalid_zip``.
* UK rows (gb, and gg/im/je, which use UK postcodes): Meta asks for "Area/District/Sector", i.e. the
  outward code plus the sector digit, lower-case without the space: "SW1A 1AA" → ``sw1a1``,
  "M1 1AE" → ``m11``, "GIR 0AA" → ``gir0``. An input that already is a sector or only an outward code
  is kept (lower-cased, spaces removed). Anything that is not UK-postcode shaped is ``invalid_zip``.
* Elsewhere: lower-case letters and digits only; spaces, hyphens and other punctuation removed
  ("K1A 0A6" → ``k1a0a6``, "00-950" → ``00950``), following Meta's CAPI wording "no spaces and no
  dash"; full-width digits become ASCII. At most 12 characters, and at least one digit.
* No hint: a US-shaped value (five digits, ZIP+4) is read as US, a full UK postcode as UK, anything
  else as "elsewhere".
"""

from __future__ import annotations

import re
import unicodedata

from leadloop.audience.reasons import Normalized, Reason, fail
from leadloop.audience.text import ascii_letters, letter_shortcut

INVALID_CITY = fail(Reason.INVALID_CITY)
INVALID_STATE = fail(Reason.INVALID_STATE)
INVALID_ZIP = fail(Reason.INVALID_ZIP)

US_STATE_ROWS = frozenset({"us", "pr", "gu", "vi", "as", "mp", "um"})
US_ZIP_ROWS = frozenset({"us", "pr", "gu", "vi", "as", "mp", "um", "fm", "mh", "pw"})
UK_ZIP_ROWS = frozenset({"gb", "gg", "im", "je"})

US_STATES: dict[str, str] = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
    "connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id",
    "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la",
    "maine": "me", "maryland": "md", "massachusetts": "ma", "michigan": "mi", "minnesota": "mn",
    "mississippi": "ms", "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
    "newhampshire": "nh", "newjersey": "nj", "newmexico": "nm", "newyork": "ny", "northcarolina": "nc",
    "northdakota": "nd", "ohio": "oh", "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa",
    "rhodeisland": "ri", "southcarolina": "sc", "southdakota": "sd", "tennessee": "tn", "texas": "tx",
    "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa", "westvirginia": "wv",
    "wisconsin": "wi", "wyoming": "wy",
    "districtofcolumbia": "dc", "washingtondc": "dc", "washingtondistrictofcolumbia": "dc",
    "americansamoa": "as", "guam": "gu", "northernmarianaislands": "mp", "puertorico": "pr",
    "virginislands": "vi", "usvirginislands": "vi", "unitedstatesvirginislands": "vi",
    "unitedstatesminoroutlyingislands": "um",
    "armedforcesamericas": "aa", "armedforceseurope": "ae", "armedforcespacific": "ap",
}  # fmt: skip
US_STATE_CODES: frozenset[str] = frozenset(US_STATES.values())

_UK_FULL = re.compile(r"([a-z]{1,2}[0-9][a-z0-9]?)([0-9])[a-z]{2}|(gir)(0)aa")
_UK_PARTIAL = re.compile(r"[a-z]{1,2}[0-9][a-z0-9]?[0-9]?|gir0?")
_US_ZIP = re.compile(r"([0-9]{5})(?:[\s-]*[0-9]{4})?")
_US_LOOSE = re.compile(r"([0-9]{3,5})(?:[\s-]+([0-9]{4}))?|([0-9]{8,9})")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def normalize_city(text: str, country: str | None = None) -> Normalized:
    letters = ascii_letters(text)
    return Normalized(letters, None) if letters else INVALID_CITY


fast_city = letter_shortcut(ascii_letters)
"""CT's value for plain input (:func:`~.text.letter_shortcut`), or None for the full path."""


def us_state_code(text: str) -> str | None:
    """The lower-case USPS code for a US state/territory name or code, or None."""
    folded = ascii_letters(text)
    if folded in US_STATE_CODES and len(folded) == 2:
        return folded
    return US_STATES.get(folded)


def normalize_state(text: str, country: str | None = None) -> Normalized:
    code = us_state_code(text)
    if code is not None and (country is None or country in US_STATE_ROWS):
        return Normalized(code, None)
    if country in US_STATE_ROWS:
        return INVALID_STATE
    letters = ascii_letters(text)
    return Normalized(letters, None) if letters else INVALID_STATE


def _compact(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _NOT_ALNUM.sub("", text.lower())


def _compact_us(text: str) -> str:
    """Digits, spaces and hyphens of a US ZIP as typed (full-width digits made ASCII), trimmed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def _us_zip(text: str) -> Normalized:
    match = _US_LOOSE.fullmatch(text)
    if match is None:
        return INVALID_ZIP
    digits = match.group(3).zfill(9) if match.group(3) is not None else match.group(1).zfill(5)
    return Normalized(digits[:5], None)


def _uk_zip(compact: str) -> Normalized:
    full = _UK_FULL.fullmatch(compact)
    if full is not None:
        outward, sector = (full.group(1), full.group(2)) if full.group(1) else (full.group(3), full.group(4))
        return Normalized(outward + sector, None)
    return Normalized(compact, None) if _UK_PARTIAL.fullmatch(compact) else INVALID_ZIP


def _other_zip(compact: str) -> Normalized:
    if not compact or len(compact) > 12 or not any(ch.isdigit() for ch in compact):
        return INVALID_ZIP
    return Normalized(compact, None)


def normalize_zip(text: str, country: str | None = None) -> Normalized:
    if country in US_ZIP_ROWS:
        return _us_zip(_compact_us(text))
    if country in UK_ZIP_ROWS:
        return _uk_zip(_compact(text))
    if country is None:
        us_shaped = _compact_us(text)
        if _US_ZIP.fullmatch(us_shaped):
            return _us_zip(us_shaped)
        compact = _compact(text)
        if _UK_FULL.fullmatch(compact):
            return _uk_zip(compact)
        return _other_zip(compact)
    return _other_zip(_compact(text))

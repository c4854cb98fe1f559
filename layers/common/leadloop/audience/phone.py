"""PHONE: digits only, with the country calling code, no leading zeros or trunk prefix (meta-api.md §7.2).

That is the E.164 number without its ``+``: ``+44 (0)20 7946 0958`` → ``442079460958``,
``(650) 555-1212`` in a US row → ``16505551212``. The reading and the validity test are Google's
libphonenumber metadata (the ``phonenumbers`` package), so choices Meta leaves open follow it:

* A number written internationally (``+``, ``00``, or the region's own exit code such as US
  ``011``) keeps its own calling code whatever the row's country says.
* A national number takes the row's COUNTRY, else the configured default country. ``00`` is read
  as an international prefix even where the local exit code differs (``0044…`` in a US row).
* Digits that start with the row country's own calling code and form a valid number that way are
  that number: ``4915123456789`` in a German row is +49 151 23456789 (an E.164 number stored
  without its ``+``), not the national number libphonenumber would also accept. National numbers
  are written with their trunk prefix (``0151…``) where the country has one, so this costs little,
  and it makes normalized output stable when normalized again with the same country.
* With no usable country and no ``+``, digits are read as an E.164 number if that is valid
  (``447911123456``); the same fallback applies when the national reading is invalid, so an
  international number typed without ``+`` in a US file still resolves.
* Known limit of idempotence: a normalized number of one country, normalized again with another
  country's hint, can be a valid national number there too (``442000000000`` is also a German
  number) and then reads as that. With no hint, or the number's own country, or a leading ``+``,
  normalizing a normalized number returns it unchanged.
* Validity is ``is_valid_number`` (known ranges), not ``is_possible_number`` (length only): a
  number outside every allocated range is a typo or a placeholder such as ``+0000000000``, and
  its hash could only ever match a stranger. Numbers of every region sharing the calling code
  are accepted (a Canadian number in a US row, a Jersey number in a GB row).
* One exception: the NANP fictional area code 555 (``555`` + ``[2-9]XX-XXXX``), which libphonenumber
  calls invalid, is accepted because Meta's own documentation uses ``15559876543`` as its phone
  example; with or without a US hint the vector hashes to Meta's published digest.
* Extensions are dropped (E.164 has none); an Italian-style leading zero inside the national
  number is kept because it is part of the E.164 number (``+39 06 …`` → ``3906…``).

Speed: ``phonenumbers.parse`` + ``is_valid_number`` costs 15–25 µs a number. Plain input (ASCII
digits, spaces, ``-``, ``.``, ``/``, parentheses and a leading ``+``: nearly every real cell) takes a
fast path that replays the same steps — exit codes, calling-code and national-prefix stripping, the
fallbacks above, and ``is_valid_number`` on per-region patterns compiled once from the same metadata
(``phonemeta``) — in 1–3 µs. It hands anything it does not replay (transform rules such as
Argentina's, non-geographic codes, letters, other scripts' digits) to ``phonenumbers`` itself. A test
runs every region's example numbers, mutated and in several formats, through both paths and
requires the same answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

from leadloop.audience.phonemeta import (
    CODES,
    MAX_NSN,
    Region,
    calling_code,
    geographic_codes,
    has_known_code,
    known_region,
)
from leadloop.audience.reasons import MAX_INPUT_CHARS, Normalized, Reason, fail
from leadloop.audience.text import FLOAT_INTEGER

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

INVALID = fail(Reason.INVALID_PHONE)

# The libphonenumber limits: a national significant number has 2..17 digits; parse() takes ≤ 250 chars.
_MIN_NSN = 2
_MAX_PARSE_CHARS = 250
_LEADING_00 = re.compile(r"^\s*00")
_FICTIONAL_NANP = re.compile(r"555[2-9]\d{6}")
_SEPARATORS = b" -().+/"
_TRANSFORM = -2  # a national prefix that a transform rule rewrites (left to phonenumbers)


# Every 3-digit start → the geographic calling code it begins with (codes are prefix-free); filled once.
_CODE_BY_PREFIX: dict[str, str] = {}
# Country hint (alpha-2, lower case) → its compiled region, or None; filled as hints are seen.
_HINT_REGIONS: dict[str, Region | None] = {}
_UNSEEN: Region | None = cast("Region", object())


def _code_by_prefix() -> dict[str, str]:
    if not _CODE_BY_PREFIX:
        codes = geographic_codes()
        for start in range(100, 1000):
            digits = str(start)
            code = next((digits[:size] for size in (1, 2, 3) if digits[:size] in codes), None)
            if code is not None:
                _CODE_BY_PREFIX[digits] = code
    return _CODE_BY_PREFIX


# A reading is what phonenumbers.parse would produce: (calling code, national significant number),
# None when it would raise, or _DEFER when the fast path does not replay that case.
_Reading = tuple[str, str] | None
_DEFER: tuple[str, str] = ("", "")


def _national_prefix_end(number: str, region: Region) -> int:
    """Where the national prefix for parsing ends in ``number``; -1 when it does not start with one."""
    if region.prefix_digits is not None:
        return len(region.prefix_digits) if number.startswith(region.prefix_digits) else -1
    match = region.national_prefix.match(number) if region.national_prefix is not None else None
    if match is None:
        return -1
    if region.has_transform and match.groups() and match.groups()[-1] is not None:
        return _TRANSFORM
    return match.end()


def _strip_national_prefix(number: str, region: Region) -> str | None:
    """libphonenumber's national-prefix stripping; None when a transform rule applies (left to phonenumbers)."""
    end = _national_prefix_end(number, region) if number else -1
    return number if end == -1 else _strip_at(number, end, region)


def _strip_at(number: str, end: int, region: Region) -> str | None:
    """:func:`_strip_national_prefix` once the national prefix is known to end at ``end`` (or be a transform)."""
    if end == _TRANSFORM:
        return None
    stripped = number[end:]
    general = region.general  # Region.matches_general, written out: this runs for most national numbers
    if general is not None and general.fullmatch(number) is not None and general.fullmatch(stripped) is None:
        return number
    return stripped


def _finish(country_code: str, nsn: str, region: Region) -> _Reading:
    """The parse's last steps: length limits, and a stripped national prefix kept if the length allows it."""
    if len(nsn) < _MIN_NSN:
        return None
    prefix = region.prefix_digits  # _national_prefix_end, written out for the usual plain prefix
    end = (len(prefix) if nsn.startswith(prefix) else -1) if prefix is not None else _national_prefix_end(nsn, region)
    if end != -1:
        return _finish_stripped(country_code, nsn, region, end)
    return (country_code, nsn) if len(nsn) <= MAX_NSN else None


def _finish_stripped(country_code: str, nsn: str, region: Region, end: int) -> _Reading:
    """:func:`_finish` for an ``nsn`` of at least two digits whose national prefix ends at ``end``."""
    stripped = _strip_at(nsn, end, region)
    if stripped is None:
        return _DEFER
    if stripped != nsn and region.length_ok(stripped):
        nsn = stripped
    if not _MIN_NSN <= len(nsn) <= MAX_NSN:
        return None
    return country_code, nsn


def _read_international(digits: str, retry_possible: bool = False) -> _Reading:
    """Digits after ``+`` or an exit code. ``retry_possible``: phonenumbers would retry a bad code without the +."""
    if len(digits) <= _MIN_NSN:
        return None
    country_code = (_CODE_BY_PREFIX or _code_by_prefix()).get(digits[:3]) if digits[0] != "0" else None
    if country_code is None or len(digits) <= len(country_code):
        return _DEFER if retry_possible or has_known_code(digits) else None
    main = (CODES.get(country_code) or calling_code(country_code)).regions[0]
    return _finish(country_code, digits[len(country_code) :], main)


def _read_national(digits: str, region: Region) -> _Reading:
    if region.idd is not None:
        idd = region.idd.match(digits)
        if idd is not None and not digits[idd.end() :].startswith("0"):
            return _read_international(digits[idd.end() :])
    country_code = region.country_code
    if digits.startswith(country_code):
        potential = _strip_national_prefix(digits[len(country_code) :], region)
        if potential is None:
            return _DEFER
        if (not region.matches_general(digits) and region.matches_general(potential)) or region.too_long(digits):
            return _finish(country_code, potential, region if region.is_main else calling_code(country_code).main)
    return _finish(country_code, digits, region)


def _valid(reading: _Reading) -> str | None:
    """The E.164 digits of a reading that ``phonenumbers.is_valid_number`` accepts, else None."""
    if reading is None:
        return None
    country_code, nsn = reading
    code = CODES.get(country_code) or calling_code(country_code)
    if code.first(nsn) is not None or (code.shared and code.rest(nsn)):
        return country_code + nsn
    return None


def _fictional(reading: _Reading) -> str | None:
    if reading is not None and reading[0] == "1" and _FICTIONAL_NANP.fullmatch(reading[1]):
        return "1" + reading[1]
    return None


def _fast(text: str, region: Region | None) -> str | None:
    """The same answer as :func:`_slow` for plain digit strings: E.164 digits, "" for invalid, None to defer.

    The usual national number (no exit code, no own calling code, no national prefix) and the
    validity test are written out here rather than called (:func:`_read_national`,
    :func:`_finish`, :func:`_valid`): this runs once per phone cell, and the calls were most of it.
    """
    if len(text) >= _MAX_PARSE_CHARS or not text.isascii() or text.find("+", 1) != -1:
        return None
    # Plain means: ASCII digits, a leading +, and only these separators (bytes.translate beats re.sub).
    digits = text.encode().translate(None, _SEPARATORS).decode()
    if not digits.isdigit() or not 3 <= len(digits) <= MAX_NSN + 3:
        return None
    plus = text[0] == "+"
    first: _Reading
    if plus:
        first = _read_international(digits, region is not None)  # positional: keyword calls cost more
    elif region is None:
        first = None
    else:
        country_code = region.country_code
        if digits.startswith(country_code):
            own_code = _read_international(digits)
            if own_code is _DEFER:
                return None
            if (number := _valid(own_code)) is not None:
                return number
            first = _read_national(digits, region)
        else:  # _read_national, for digits that do not start with the calling code
            exit_code = region.idd_digits
            if exit_code is not None:
                end = len(exit_code) if digits.startswith(exit_code) else -1
            else:
                found = region.idd.match(digits) if region.idd is not None else None
                end = found.end() if found is not None else -1
            if end != -1 and not digits.startswith("0", end):
                first = _read_international(digits[end:])
            else:
                end = _national_prefix_end(digits, region)
                if end != -1:
                    first = _finish_stripped(country_code, digits, region, end)
                elif len(digits) > MAX_NSN:
                    first = None
                else:  # a bare national number, the usual case: checked before any tuple is made
                    code = CODES.get(country_code) or calling_code(country_code)
                    if code.first(digits) is not None or (code.shared and code.rest(digits)):
                        return country_code + digits
                    first = (country_code, digits)
    if first is _DEFER:
        return None
    if first is not None:
        code = CODES.get(first[0]) or calling_code(first[0])
        if code.first(first[1]) is not None or (code.shared and code.rest(first[1])):
            return first[0] + first[1]
    return _fast_fallbacks(text, digits, plus, first)


def _fast_fallbacks(text: str, digits: str, plus: bool, first: _Reading) -> str | None:
    """:func:`_slow`'s fallbacks, on the fast path's readings."""
    readings = [first]
    if not plus:
        candidates = (digits[2:], digits) if text.startswith("00") else (digits,)
        for candidate in candidates:
            reading = _read_international(candidate)
            if reading is _DEFER:
                return None
            if (number := _valid(reading)) is not None:
                return number
            readings.append(reading)
    for reading in readings:
        if (number := _fictional(reading)) is not None:
            return number
    return ""


def _e164(number: PhoneNumber) -> str:
    from phonenumbers import national_significant_number

    return f"{number.country_code}{national_significant_number(number)}"


def _parse(text: str, region: str | None) -> PhoneNumber | None:
    import phonenumbers

    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _digits_start_with(text: str, country_code: str) -> bool:
    import phonenumbers

    return not text.startswith(("+", "＋")) and phonenumbers.normalize_digits_only(text).startswith(country_code)


def _slow(text: str, region: Region | None) -> str:
    """phonenumbers itself, then the fallbacks above (00 prefix, E.164 without +, NANP 555); "" when invalid."""
    import phonenumbers

    if region is not None and _digits_start_with(text, region.country_code):
        own_code = _parse("+" + text, None)
        if own_code is not None and phonenumbers.is_valid_number(own_code):
            return _e164(own_code)
    readings = [_parse(text, region.code if region else None)]
    if readings[0] is not None and phonenumbers.is_valid_number(readings[0]):
        return _e164(readings[0])
    if not text.startswith(("+", "＋")):
        for candidate in dict.fromkeys(("+" + _LEADING_00.sub("", text), "+" + text)):
            reading = _parse(candidate, None)
            if reading is not None and phonenumbers.is_valid_number(reading):
                return _e164(reading)
            readings.append(reading)
    for reading in readings:
        if reading is not None and reading.country_code == 1:
            nsn = phonenumbers.national_significant_number(reading)
            if _FICTIONAL_NANP.fullmatch(nsn):
                return "1" + nsn
    return ""


def fast_phone(raw: str, country: str | None = None) -> str | None:
    """:func:`normalize_phone`'s value for a raw ASCII number the fast path reads as valid; else None.

    :func:`_fast` itself turns away anything that is not ASCII digits and separators.
    """
    if len(raw) > MAX_INPUT_CHARS:
        return None
    if "." in raw and raw.rstrip().endswith("0") and FLOAT_INTEGER.fullmatch(raw.strip()):
        return None  # "15559876543.0": the full rules read it as the number a spreadsheet meant
    region = None
    if country:
        region = _HINT_REGIONS.get(country, _UNSEEN)
        if region is _UNSEEN:
            region = _HINT_REGIONS[country] = known_region(country)
    return _fast(raw.strip(), region) or None


def normalize_phone(text: str, country: str | None = None) -> Normalized:
    region = known_region(country) if country else None
    number = _fast(text, region)
    if number is None:
        number = _slow(text, region)
    return Normalized(number, None) if number else INVALID

"""PHONE: digits only, with the country calling code, no leading zeros or trunk prefix (meta-api.md §7.2).

That is the E.164 number without its ``+``: ``+44 (0)20 7946 0958`` → ``442079460958``,
``(650) 555-1212`` in a US row → ``16505551212``. The reading and the validity test are Google's
libphonenumber metadata (the ``phonenumbers`` package), so choices Meta leaves open follow it:

* A number written internationally (``+``, ``00``, or the region's own exit code such as US
  ``011``) keeps its own calling code whatever the row's country says.
* A national number takes the row's COUNTRY, else the configured default country. ``00`` is read
  as an international prefix even where the local exit code differs (``0044…`` in a US row).
* With no usable country and no ``+``, digits are read as an E.164 number if that is valid
  (``447911123456``); the same fallback applies when the national reading is invalid, so an
  international number typed without ``+`` in a US file still resolves.
* Validity is ``is_valid_number`` (known ranges), not ``is_possible_number`` (length only): a
  number outside every allocated range is a typo or a placeholder such as ``+0000000000``, and
  its hash could only ever match a stranger. Numbers of every region sharing the calling code
  are accepted (a Canadian number in a US row, a Jersey number in a GB row).
* One exception: the NANP fictional area code 555 (``555`` + ``[2-9]XX-XXXX``), which libphonenumber
  calls invalid, is accepted because Meta's own documentation uses ``15559876543`` as its phone
  example; with or without a US hint the vector hashes to Meta's published digest.
* Extensions are dropped (E.164 has none); an Italian-style leading zero inside the national
  number is kept because it is part of the E.164 number (``+39 06 …`` → ``3906…``).

Speed: ``phonenumbers.parse`` + ``is_valid_number`` costs 15–25 µs. Plain digit strings (the
common case) take a fast path that replays the same steps (international prefix, calling-code and
national-prefix stripping, per-region validity) on precompiled per-region patterns built lazily
from the same metadata, and answers only when the result is valid; everything else, including
every invalid number, goes through ``phonenumbers`` itself. A test checks both paths agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from leadloop.audience.reasons import Normalized, Reason, fail

if TYPE_CHECKING:
    from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberDesc

INVALID = fail(Reason.INVALID_PHONE)

# The libphonenumber limits: a national significant number has 2..17 digits.
_MIN_NSN = 2
_MAX_NSN = 17
_MAX_PARSE_CHARS = 250
_LEADING_00 = re.compile(r"^\s*00")
_FICTIONAL_NANP = re.compile(r"555[2-9]\d{6}")
# Validity means "matches any type"; mobile and fixed line first because lead phones mostly are.
_TYPE_DESCS = ("mobile", "fixed_line", "toll_free", "voip", "personal_number", "uan", "shared_cost", "premium_rate",
               "pager", "voicemail")  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Region:
    """One region's parsing and validity rules, compiled once from libphonenumber's metadata."""

    code: str
    country_code: str
    general: re.Pattern[str] | None
    lengths: frozenset[int]
    min_length: int
    max_length: int
    local_only: frozenset[int]
    valid: re.Pattern[str] | None
    leading: re.Pattern[str] | None
    idd: re.Pattern[str] | None
    national_prefix: re.Pattern[str] | None
    has_transform: bool

    def matches_general(self, number: str) -> bool:
        return self.general is not None and self.general.fullmatch(number) is not None

    def is_valid(self, nsn: str) -> bool:
        return self.valid is not None and self.valid.fullmatch(nsn) is not None

    def length_ok(self, number: str) -> bool:
        """libphonenumber keeps a stripped national prefix only if the rest is not too short/local/invalid."""
        size = len(number)
        if size in self.local_only or size < self.min_length:
            return False
        return size == self.min_length or size > self.max_length or size in self.lengths

    def too_long(self, number: str) -> bool:
        return len(number) > self.max_length


def _desc_alternative(desc: PhoneNumberDesc | None) -> str | None:
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = [n for n in desc.possible_length if n > 0]
    if list(desc.possible_length) and not lengths:
        return None
    ahead = "(?=(?:" + "|".join(rf"\d{{{n}}}" for n in sorted(lengths)) + r")\Z)" if lengths else ""
    return f"{ahead}(?:{desc.national_number_pattern})"


def _compile(metadata: PhoneMetadata) -> _Region:
    general = metadata.general_desc
    lengths = sorted(n for n in general.possible_length if n > 0)
    alternatives = list(dict.fromkeys(a for a in (_desc_alternative(getattr(metadata, n)) for n in _TYPE_DESCS) if a))
    npp = metadata.national_prefix_for_parsing
    # One pattern for the whole validity test: the general lengths and pattern, then any number type.
    valid = None
    if alternatives and general.national_number_pattern:
        general_test = _desc_alternative(general) or ""
        valid = re.compile(f"(?={general_test}\\Z)(?:{'|'.join(alternatives)})")
    return _Region(
        code=metadata.id,
        country_code=str(metadata.country_code),
        general=re.compile(general.national_number_pattern) if general.national_number_pattern else None,
        lengths=frozenset(lengths),
        min_length=lengths[0] if lengths else 0,
        max_length=lengths[-1] if lengths else _MAX_NSN,
        local_only=frozenset(general.possible_length_local_only),
        valid=valid,
        leading=re.compile(metadata.leading_digits) if metadata.leading_digits else None,
        idd=re.compile(metadata.international_prefix) if metadata.international_prefix else None,
        national_prefix=re.compile(npp) if npp else None,
        has_transform=bool(metadata.national_prefix_transform_rule),
    )


@cache
def _region(code: str) -> _Region | None:
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(code, None)
    return None if metadata is None else _compile(metadata)


@cache
def _regions_for(country_code: str) -> tuple[_Region, ...]:
    """Every region of a calling code in libphonenumber's order (main region first); () if unknown or non-geographic."""
    import phonenumbers

    codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(country_code), ())
    regions = tuple(r for r in (_region(c) for c in codes if c != phonenumbers.UNKNOWN_REGION and c != "001") if r)
    return regions if len(regions) == len(codes) else ()


@cache
def _known_region(country: str) -> _Region | None:
    import phonenumbers

    code = country.upper()
    return _region(code) if code in phonenumbers.SUPPORTED_REGIONS else None


def _split_country_code(digits: str) -> tuple[str, str] | None:
    if not digits or digits[0] == "0":
        return None
    for size in (1, 2, 3):
        if len(digits) > size and _regions_for(digits[:size]):
            return digits[:size], digits[size:]
    return None


def _is_valid(country_code: str, nsn: str) -> bool:
    """``phonenumbers.is_valid_number`` for (calling code, national significant number)."""
    regions = _regions_for(country_code)
    if len(regions) == 1:
        return regions[0].is_valid(nsn)
    for region in regions:
        if region.leading is not None:
            if region.leading.match(nsn):
                return region.is_valid(nsn)
        elif region.is_valid(nsn):
            return True
    return False


# A reading is what phonenumbers.parse would produce: (calling code, national significant number),
# None when it would raise, or _DEFER when the fast path does not replay that case.
_Reading = tuple[str, str] | None
_DEFER: tuple[str, str] = ("", "")


def _strip_national_prefix(number: str, region: _Region) -> str | None:
    """libphonenumber's national-prefix stripping; None when a transform rule applies (left to phonenumbers)."""
    if not number or region.national_prefix is None:
        return number
    match = region.national_prefix.match(number)
    if match is None:
        return number
    if region.has_transform and match.groups() and match.groups()[-1] is not None:
        return None
    stripped = number[match.end() :]
    if region.matches_general(number) and not region.matches_general(stripped):
        return number
    return stripped


def _finish(country_code: str, nsn: str | None, region: _Region) -> _Reading:
    """The parse's last steps: length limits, and a stripped national prefix kept if the length allows it."""
    if nsn is None:
        return _DEFER
    if len(nsn) < _MIN_NSN:
        return None
    stripped = _strip_national_prefix(nsn, region)
    if stripped is None:
        return _DEFER
    if stripped != nsn and region.length_ok(stripped):
        nsn = stripped
    if not _MIN_NSN <= len(nsn) <= _MAX_NSN:
        return None
    return country_code, nsn


def _read_international(digits: str, *, retry_possible: bool = False) -> _Reading:
    """Digits after ``+`` or an exit code. ``retry_possible``: phonenumbers would retry a bad code without the +."""
    if len(digits) <= _MIN_NSN:
        return None
    split = _split_country_code(digits)
    if split is None:
        return _DEFER if retry_possible or _has_known_code(digits) else None
    country_code, rest = split
    return _finish(country_code, rest, _regions_for(country_code)[0])


def _has_known_code(digits: str) -> bool:
    """True for a calling code phonenumbers knows but the fast path does not handle (non-geographic ones)."""
    import phonenumbers

    codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    return digits[0] != "0" and any(int(digits[:size]) in codes for size in (1, 2, 3))


def _read_national(digits: str, region: _Region) -> _Reading:
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
            return _finish(country_code, potential, _regions_for(country_code)[0])
    return _finish(country_code, digits, region)


def _valid(reading: _Reading) -> str | None:
    return reading[0] + reading[1] if reading is not None and _is_valid(*reading) else None


def _fictional(reading: _Reading) -> str | None:
    if reading is not None and reading[0] == "1" and _FICTIONAL_NANP.fullmatch(reading[1]):
        return "1" + reading[1]
    return None


def _fast(text: str, region: _Region | None) -> str | None:
    """The same answer as :func:`_slow` for plain digit strings: E.164 digits, "" for invalid, None to defer."""
    if len(text) >= _MAX_PARSE_CHARS or text.find("+", 1) != -1:
        return None
    # Plain means: digits, a leading +, and only these separators. Chained replace beats re.sub here.
    digits = text.replace(" ", "").replace("-", "").replace("(", "").replace(")", "").replace(".", "")
    digits = digits.replace("/", "").replace("+", "")
    if not (digits.isascii() and digits.isdigit()) or not 3 <= len(digits) <= _MAX_NSN + 3:
        return None
    plus = text[0] == "+"
    if plus:
        readings = [_read_international(digits, retry_possible=region is not None)]
    else:
        readings = [_read_national(digits, region) if region is not None else None]
    if readings[0] is _DEFER:
        return None
    if (number := _valid(readings[0])) is not None:
        return number
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


def _slow(text: str, region: _Region | None) -> str:
    """phonenumbers itself, then the fallbacks above (00 prefix, E.164 without +, NANP 555); "" when invalid."""
    import phonenumbers

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


def normalize_phone(text: str, country: str | None = None) -> Normalized:
    region = _known_region(country) if country else None
    number = _fast(text, region)
    if number is None:
        number = _slow(text, region)
    return Normalized(number, None) if number else INVALID

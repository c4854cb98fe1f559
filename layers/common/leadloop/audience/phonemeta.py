"""libphonenumber's metadata, compiled for the phone fast path: per-region rules and exact validity.

Every pattern is compiled with ``re.ASCII``: the fast path only ever hands them ASCII digits, for
which ``\\d`` means the same either way and is much cheaper to test.

``Region`` holds what parsing needs (exit code, national prefix, lengths) and one pattern for the
validity test: the general lengths and pattern, then any number type — ``is_valid_number`` for
that region. ``CallingCode`` holds the regions sharing a calling code and libphonenumber's rule for
which of them a number belongs to. Both are built lazily from ``phonenumbers`` on first use.

"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phonenumbers import PhoneMetadata, PhoneNumberDesc

MAX_NSN = 17
_NEVER = re.compile(r"(?!)")
# Validity means "matches any type"; mobile and fixed line first because lead phones mostly are.
TYPE_DESCS = ("mobile", "fixed_line", "toll_free", "voip", "personal_number", "uan", "shared_cost", "premium_rate",
              "pager", "voicemail")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Region:
    """One region's parsing and validity rules."""

    code: str
    country_code: str
    general: re.Pattern[str] | None
    lengths: frozenset[int]
    min_length: int
    max_length: int
    local_only: frozenset[int]
    valid: re.Pattern[str]
    is_main: bool
    leading: re.Pattern[str] | None
    idd: re.Pattern[str] | None
    national_prefix: re.Pattern[str] | None
    has_transform: bool
    # The two prefix patterns when they are plain digits ("011", "0"): a startswith test then.
    idd_digits: str | None
    prefix_digits: str | None

    def matches_general(self, number: str) -> bool:
        return self.general is not None and self.general.fullmatch(number) is not None

    def is_valid(self, nsn: str) -> bool:
        return self.valid.fullmatch(nsn) is not None

    def length_ok(self, number: str) -> bool:
        """libphonenumber keeps a stripped national prefix only if the rest is not too short/local/invalid."""
        size = len(number)
        if size in self.local_only or size < self.min_length:
            return False
        return size == self.min_length or size > self.max_length or size in self.lengths

    def too_long(self, number: str) -> bool:
        return len(number) > self.max_length


Test = Callable[[str], object]  # a compiled pattern's fullmatch: not None when the number is valid there


@dataclass(frozen=True, slots=True)
class CallingCode:
    """The regions sharing one calling code (main region first), and ``is_valid_number`` over them.

    libphonenumber walks the regions in order: a region whose leading digits match decides alone; one
    without leading digits accepts the number if it is valid there. ``head`` counts the regions before
    the first one with leading digits (just the US for +1), checked without the dispatcher;
    ``leading`` is one pattern naming (``r<index>``) the first region whose leading digits match.
    The test is :meth:`valid`, split so the usual number costs one regex call: ``first`` is the main
    region's pattern when a match there decides (one region, or a main region without leading
    digits, as +1's US), else a pattern that never matches; when it does not match and the code has
    several regions (``shared``), :meth:`rest` walks them: the ``untried`` head regions, then, for
    the region the dispatcher names (``by_group``, or ``unmatched``), the tests of the regions
    without leading digits before it and its own test (None when no region was named).
    """

    regions: tuple[Region, ...]
    head: int
    leading: re.Pattern[str] | None
    first: Test
    shared: bool
    untried: tuple[Test, ...]
    by_group: dict[str, tuple[tuple[Test, ...], Test | None]]
    unmatched: tuple[tuple[Test, ...], Test | None]

    @property
    def main(self) -> Region:
        return self.regions[0]

    def valid(self, nsn: str) -> bool:
        """``phonenumbers.is_valid_number`` for a national significant number of this calling code."""
        return self.first(nsn) is not None or (self.shared and self.rest(nsn))

    def rest(self, nsn: str) -> bool:
        """libphonenumber's walk over the regions, after ``first`` said no."""
        for test in self.untried:
            if test(nsn) is not None:
                return True
        if self.leading is None:
            return False
        match = self.leading.match(nsn)
        group = match.lastgroup if match is not None else None
        free, decider = self.by_group[group] if group else self.unmatched
        for test in free:
            if test(nsn) is not None:
                return True
        return decider is not None and decider(nsn) is not None


def _walk(regions: tuple[Region, ...], head: int, end: int) -> tuple[tuple[Test, ...], Test | None]:
    """The regions without leading digits in ``[head, end)``, then the one at ``end`` that decides (if any)."""
    free = tuple(r.valid.fullmatch for r in regions[head:end] if r.leading is None)
    return free, regions[end].valid.fullmatch if end < len(regions) else None


def _desc_alternative(desc: PhoneNumberDesc | None) -> str | None:
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = [n for n in desc.possible_length if n > 0]
    if list(desc.possible_length) and not lengths:
        return None
    ahead = "(?=(?:" + "|".join(rf"\d{{{n}}}" for n in sorted(lengths)) + r")\Z)" if lengths else ""
    return f"{ahead}(?:{desc.national_number_pattern})"


def _digits_only(pattern: str | None) -> str | None:
    """``pattern`` if it is a plain string of ASCII digits (it then matches exactly what starts with it)."""
    return pattern if pattern and pattern.isascii() and pattern.isdigit() else None


def _compile(metadata: PhoneMetadata, only_region: bool) -> Region:
    general = metadata.general_desc
    general_pattern = general.national_number_pattern if general is not None else None
    lengths = sorted(n for n in general.possible_length if n > 0) if general is not None else []
    alternatives = list(dict.fromkeys(a for a in (_desc_alternative(getattr(metadata, n)) for n in TYPE_DESCS) if a))
    npp = metadata.national_prefix_for_parsing
    valid = _NEVER
    if alternatives and general_pattern:
        general_test = _desc_alternative(general) or ""
        valid = re.compile(f"(?={general_test}\\Z)(?:{'|'.join(alternatives)})", re.ASCII)
    return Region(
        code=metadata.id,
        country_code=str(metadata.country_code),
        general=re.compile(general_pattern, re.ASCII) if general_pattern else None,
        lengths=frozenset(lengths),
        min_length=lengths[0] if lengths else 0,
        max_length=lengths[-1] if lengths else MAX_NSN,
        local_only=frozenset(general.possible_length_local_only) if general is not None else frozenset(),
        valid=valid,
        is_main=bool(metadata.main_country_for_code) or only_region,
        leading=re.compile(metadata.leading_digits, re.ASCII) if metadata.leading_digits else None,
        idd=re.compile(metadata.international_prefix, re.ASCII) if metadata.international_prefix else None,
        national_prefix=re.compile(npp, re.ASCII) if npp else None,
        has_transform=bool(metadata.national_prefix_transform_rule),
        idd_digits=_digits_only(metadata.international_prefix),
        prefix_digits=_digits_only(npp),
    )


@cache
def region(code: str) -> Region | None:
    """The compiled rules of a region libphonenumber knows (upper-case ISO code), else None."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(code, None)
    if metadata is None:
        return None
    only = len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code or 0, ())) == 1
    return _compile(metadata, only)


@cache
def known_region(country: str) -> Region | None:
    """The region for a country hint (alpha-2, any case) if libphonenumber has rules for it."""
    import phonenumbers

    code = country.upper()
    return region(code) if code in phonenumbers.SUPPORTED_REGIONS else None


@cache
def geographic_codes() -> frozenset[str]:
    """Calling codes whose regions all have metadata (non-geographic ones like 800 are left to phonenumbers)."""
    import phonenumbers

    return frozenset(
        str(code)
        for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()
        if all(r in phonenumbers.SUPPORTED_REGIONS for r in regions)
    )


def has_known_code(digits: str) -> bool:
    """True when ``digits`` start with any calling code phonenumbers knows (geographic or not)."""
    import phonenumbers

    codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    return digits[:1] != "0" and any(digits[:size].isdigit() and int(digits[:size]) in codes for size in (1, 2, 3))


CODES: dict[str, CallingCode] = {}


def calling_code(code: str) -> CallingCode:
    """The regions of a geographic calling code (a key of :func:`geographic_codes`), compiled once."""
    found = CODES.get(code)
    if found is None:
        import phonenumbers

        regions = tuple(r for r in (region(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[int(code)]) if r)
        # A single region decides alone: libphonenumber does not look at its leading digits then.
        with_leading = [(i, r) for i, r in enumerate(regions) if r.leading is not None and len(regions) > 1]
        leading = [f"(?P<r{i}>{r.leading.pattern})" for i, r in with_leading if r.leading is not None]
        head = with_leading[0][0] if with_leading else len(regions)
        dispatcher = re.compile("|".join(leading), re.ASCII) if leading else None
        # The main region decides alone when no region before it has leading digits (head > 0).
        first = regions[0].valid.fullmatch if head else _NEVER.fullmatch
        untried = tuple(r.valid.fullmatch for r in regions[1 if head else 0 : head])
        by_group = {f"r{i}": _walk(regions, head, i) for i, _ in with_leading}
        found = CODES[code] = CallingCode(
            regions, head, dispatcher, first, len(regions) > 1, untried, by_group, _walk(regions, head, len(regions))
        )
    return found

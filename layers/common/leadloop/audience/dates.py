"""DOBY, DOBM, DOBD and :func:`split_date` (meta-api.md §7.2: ``YYYY`` 1900..this year, ``MM`` 01–12, ``DD`` 01–31).

There is no DOB key for Custom Audiences, so a full date is split into the three keys. Rules we
chose where Meta is silent:

* Numbers are zero-padded (``4`` → ``04``) and range-checked; out of range is ``invalid_date``.
* DOBM also takes English month names and abbreviations (``April``, ``Apr``, ``Sept``); DOBD
  takes ordinals (``9th``).
* A two-digit year is completed to the most recent year that makes the person at least 13 (the
  minimum age on Facebook): in 2026, ``87`` → 1987, ``05`` → 2005, ``15`` → 1915.
* A cell of any of the three keys that holds a whole date (a CRM mapping the birthday column to
  DOBY, DOBM and DOBD) contributes the matching part of :func:`split_date`.

:func:`split_date` reads, after dropping a time of day (``T10:00:00``, `` 00:00``):

* ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD`` and ``YYYYMMDD`` — year first is always Y-M-D;
* ``MM/DD/YYYY`` and ``MM-DD-YYYY`` — US order, which Meta's lead forms use; read as
  ``DD/MM/YYYY`` only when the first number cannot be a month (``25/12/1987``);
* ``DD.MM.YYYY`` — dots are the European order;
* month names in any order with a day and a year: ``April 9, 1987``, ``9 April 1987``,
  ``9-Apr-1987``, ``Thursday, April 9, 1987``;
* two-digit years in all of these, completed as above.

It returns None for anything else, for impossible dates (``02/30/1987``), and for dates before
1900 or in the future. The current year is read from the clock (UTC) on each call.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from leadloop.audience.reasons import Normalized, Reason, fail

INVALID = fail(Reason.INVALID_DATE)
MIN_YEAR = 1900
MIN_AGE = 13

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
    "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                       "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"})  # fmt: skip
_TIME = re.compile(r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)$", re.IGNORECASE)
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_COMPACT = re.compile(r"((?:19|20)\d{2})(\d{2})(\d{2})")
_US_ORDER = re.compile(r"(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")
_TOKENS = re.compile(r"[^\W_]+")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?", re.IGNORECASE)
_DIGITS = re.compile(r"\d{1,4}")


def _this_year() -> int:
    return datetime.now(UTC).year


def full_year(digits: str) -> int | None:
    """A 4-digit year as is; a 2-digit one completed so the person is at least :data:`MIN_AGE`."""
    if len(digits) == 4:
        return int(digits)
    if len(digits) == 2:
        recent = 2000 + int(digits)
        return recent if recent <= _this_year() - MIN_AGE else recent - 100
    return None


def _checked(year: int | None, month: int, day: int) -> tuple[str, str, str] | None:
    if year is None or not MIN_YEAR <= year <= _this_year():
        return None
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    if born > datetime.now(UTC).date():
        return None
    return f"{year:04d}", f"{month:02d}", f"{day:02d}"


def _split_named(text: str) -> tuple[str, str, str] | None:
    month: int | None = None
    numbers: list[str] = []
    for token in _TOKENS.findall(text.lower()):
        if token in _WEEKDAYS:
            continue
        if token in _MONTHS:
            if month is not None:
                return None
            month = _MONTHS[token]
            continue
        ordinal = _ORDINAL.fullmatch(token)
        if ordinal is not None:
            numbers.append(ordinal.group(1))
        elif _DIGITS.fullmatch(token) and len(token) == 4:
            numbers.append(token)
        else:
            return None
    if month is None or len(numbers) != 2:
        return None
    four = [n for n in numbers if len(n) == 4]
    if len(four) == 1:
        year, day = four[0], next(n for n in numbers if len(n) != 4)
    elif not four:
        day, year = numbers
        if len(year) != 2:
            return None
    else:
        return None
    return _checked(full_year(year), month, int(day))


def split_date(value: str) -> tuple[str, str, str] | None:
    """(YYYY, MM, DD) from a date in a common format (see the module docstring), else None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = _TIME.sub("", value.strip()).strip()
    if match := _YEAR_FIRST.fullmatch(text):
        return _checked(int(match.group(1)), int(match.group(3)), int(match.group(4)))
    if match := _COMPACT.fullmatch(text):
        return _checked(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _US_ORDER.fullmatch(text):
        first, second = int(match.group(1)), int(match.group(3))
        month, day = (second, first) if first > 12 else (first, second)
        return _checked(full_year(match.group(4)), month, day)
    if match := _DOTTED.fullmatch(text):
        return _checked(full_year(match.group(3)), int(match.group(2)), int(match.group(1)))
    if any(ch.isalpha() for ch in text):
        return _split_named(text)
    return None


def normalize_year(text: str, country: str | None = None) -> Normalized:
    digits = text.lstrip("'’")
    if digits.isascii() and digits.isdigit() and len(digits) in (2, 4):
        year = full_year(digits)
        if year is not None and MIN_YEAR <= year <= _this_year():
            return Normalized(f"{year:04d}", None)
        return INVALID
    parts = split_date(text)
    return INVALID if parts is None else Normalized(parts[0], None)


def normalize_month(text: str, country: str | None = None) -> Normalized:
    if text.isascii() and text.isdigit() and len(text) <= 2:
        month = int(text)
        return Normalized(f"{month:02d}", None) if 1 <= month <= 12 else INVALID
    name = text.lower().rstrip(".")
    if name in _MONTHS:
        return Normalized(f"{_MONTHS[name]:02d}", None)
    parts = split_date(text)
    return INVALID if parts is None else Normalized(parts[1], None)


def normalize_day(text: str, country: str | None = None) -> Normalized:
    ordinal = _ORDINAL.fullmatch(text)
    if ordinal is not None and text.isascii():
        day = int(ordinal.group(1))
        return Normalized(f"{day:02d}", None) if 1 <= day <= 31 else INVALID
    parts = split_date(text)
    return INVALID if parts is None else Normalized(parts[2], None)

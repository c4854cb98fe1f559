"""One payload cell: a value of one key, normalized, then hashed or passed, with the reason when it is blank.

A cell function takes the raw value and the row's country hint and returns ``(cell, reason)``:
SHA-256 lowercase hex of the normal form for hashed keys, the normal form itself for the others,
``("", None)`` for an empty value and ``("", reason)`` for one that cannot be used. It never
raises: a bug in a rule costs one cell (``invalid_value``), not the row.

Speed (``bench/hash_throughput.py``): plain input takes a shortcut (:data:`SHORTCUTS`) that gives the
full rules' value or None, and None means "take the full path" — a shortcut never decides that a
value is invalid. Keys whose values repeat from row to row keep their finished cells in a
:class:`CellCache`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from leadloop.audience import keys as k
from leadloop.audience.dispatch import normalize_known
from leadloop.audience.email import fast_email
from leadloop.audience.ids import EMPTY_SHA256
from leadloop.audience.location import fast_city
from leadloop.audience.names import fast_initial, fast_name
from leadloop.audience.phone import fast_phone
from leadloop.audience.reasons import Reason

__all__ = [
    "BLANK",
    "CACHED_KEYS",
    "CELL_CACHE_SIZE",
    "SHORTCUTS",
    "Cell",
    "CellCache",
    "CellFn",
    "Shortcut",
    "full_cell",
    "make_cell",
    "prehashed_cell",
    "unknown_cell",
]

Cell = tuple[str, str | None]
CellFn = Callable[[object, str | None], Cell]
Shortcut = Callable[[str, str | None], str | None]

CELL_CACHE_SIZE = 4096
"""Finished cells kept per key: a few MB in all; a full cache is emptied and refilled."""

# Keys whose values repeat across rows (names, places, dates, flags): their finished cells are cached.
CACHED_KEYS = frozenset({k.FN, k.LN, k.FI, k.CT, k.ST, k.ZIP, k.COUNTRY, k.GEN, k.DOBY, k.DOBM, k.DOBD}) | k.LDU_KEYS
# The normalized value of plain input, or None to take the full path (same value, or the reason).
# Every key here is hashed.
SHORTCUTS: dict[str, Shortcut] = {
    k.EMAIL: fast_email,
    k.PHONE: fast_phone,
    k.FN: fast_name,
    k.LN: fast_name,
    k.CT: fast_city,
    k.FI: fast_initial,
}

BLANK: Cell = ("", None)
_sha256 = hashlib.sha256
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_EMPTY = Reason.EMPTY.value
_INVALID_VALUE: Cell = ("", Reason.INVALID_VALUE.value)
_UNKNOWN: Cell = ("", Reason.UNKNOWN_KEY.value)
_NOT_HASHED: Cell = ("", Reason.NOT_HASHED_INPUT.value)
_HASH_OF_EMPTY: Cell = ("", Reason.HASH_OF_EMPTY.value)


def full_cell(canonical: str) -> CellFn:
    """The full rules (:func:`~.dispatch.normalize_known`) for one key, without its shortcut."""
    hashed = canonical in k.HASHED_KEYS

    def cell(value: object, hint: str | None) -> Cell:
        if value is None or (type(value) is str and not value):
            return BLANK
        try:
            result = normalize_known(canonical, value, hint)
        except Exception:  # one bad cell must not cost the row
            return _INVALID_VALUE
        if result.value is None:
            return BLANK if result.reason == _EMPTY else ("", result.reason)
        return (_sha256(result.value.encode()).hexdigest() if hashed else result.value), None

    return cell


def make_cell(canonical: str) -> CellFn:
    """The cell function of a schema key (canonical spelling): its shortcut first when it has one."""
    full = full_cell(canonical)
    fast = SHORTCUTS.get(canonical)
    if fast is None:
        return full

    def cell(value: object, hint: str | None) -> Cell:
        if type(value) is str and value:
            try:
                normalized = fast(value, hint)
            except Exception:  # one bad cell must not cost the row
                return _INVALID_VALUE
            if normalized is not None:
                return _sha256(normalized.encode()).hexdigest(), None
        return full(value, hint)

    return cell


class CellCache(dict[Any, Cell]):
    """Finished cells of one key by raw string value (or ``(value, hint)`` for keys that read the hint).

    A miss computes the cell with ``cell`` and keeps it; at :data:`CELL_CACHE_SIZE` entries the
    cache starts over, so memory stays bounded whatever the input. Only ``str`` values may be
    looked up: ``1`` and ``True`` are equal dict keys but not the same cell.
    """

    __slots__ = ("_cell", "_hinted")

    def __init__(self, cell: CellFn, *, hinted: bool) -> None:
        super().__init__()
        self._cell = cell
        self._hinted = hinted

    def __missing__(self, key: Any) -> Cell:
        found = self._cell(*key) if self._hinted else self._cell(key, None)
        if len(self) >= CELL_CACHE_SIZE:
            self.clear()
        self[key] = found
        return found


def prehashed_cell(value: object, hint: str | None) -> Cell:
    """A caller-declared SHA-256 digest: 64 hex digits, lower-cased; never the digest of ""."""
    if value is None or (type(value) is str and not value):
        return BLANK
    if type(value) is not str:
        return _NOT_HASHED
    digest = value.strip().lower()
    if not digest:
        return BLANK
    if _SHA256_HEX.fullmatch(digest) is None:
        return _NOT_HASHED
    return _HASH_OF_EMPTY if digest == EMPTY_SHA256 else (digest, None)


def unknown_cell(value: object, hint: str | None) -> Cell:
    """A key Meta does not define: always blank, and ``unknown_key`` when there was a value."""
    return BLANK if value is None or (type(value) is str and not value) else _UNKNOWN

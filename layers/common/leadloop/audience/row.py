"""One payload row for ``POST /{audience}/users``: :func:`hash_row` and :func:`hash_record`.

A row has one cell per schema key, in schema order: SHA-256 lowercase hex of the normalized value
for hashed keys, the normalized value itself for keys Meta says not to hash (:data:`UNHASHED_KEYS`),
and ``""`` for a cell that is missing, empty or invalid — never the hash of an empty string, and
never a hash of a hash:

* the country hint for PHONE/ST/ZIP is the record's COUNTRY value (when it names a country, even if
  COUNTRY is not in the schema), else ``default_country``;
* a value that looks like a SHA-256 digest is normalized and hashed like any other value unless
  the caller lists its key in ``prehashed``; then it must be 64 hex digits (lower-cased here) and
  is sent as is. ``prehashed`` only concerns hashed keys (the others are never hashed anyway);
* ``rejected`` lists ``(key, reason)`` for every cell that was present and not empty but could not
  be used; missing and empty cells are not rejections. A key Meta does not define gives ``""``
  (and ``unknown_key`` when the record has a value for it).

Speed (``bench/hash_throughput.py``): each schema is compiled once into one small function per key.
Rows from CRM files and lead streams repeat the same names, cities, states and countries, so the
finished cells of those keys are cached per key (at most :data:`CELL_CACHE_SIZE` entries each, a
few MB in all; a full cache is emptied and refilled). EMAIL and PHONE are unique per person and
are not cached, but plain ASCII input takes a shortcut that gives the same value as the full rules.
:func:`clear_caches` empties the caches; they live only in the process's memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

from leadloop.audience import keys as k
from leadloop.audience.country import country_hint
from leadloop.audience.dispatch import normalize_known
from leadloop.audience.email import fast_email
from leadloop.audience.ids import EMPTY_SHA256
from leadloop.audience.phone import fast_phone
from leadloop.audience.reasons import Reason

CELL_CACHE_SIZE = 4096

Cell = tuple[str, str | None]
CellFn = Callable[[object, str | None], Cell]

_sha256 = hashlib.sha256
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_EMPTY = Reason.EMPTY.value
_BLANK: Cell = ("", None)
_INVALID_VALUE: Cell = ("", Reason.INVALID_VALUE.value)
_UNKNOWN: Cell = ("", Reason.UNKNOWN_KEY.value)
_NOT_HASHED: Cell = ("", Reason.NOT_HASHED_INPUT.value)
_HASH_OF_EMPTY: Cell = ("", Reason.HASH_OF_EMPTY.value)
_NONE: frozenset[str] = frozenset()
# Keys whose values repeat across rows (names, places, dates): their finished cells are cached.
_CACHED_KEYS = frozenset({k.FN, k.LN, k.FI, k.CT, k.ST, k.ZIP, k.COUNTRY, k.GEN, k.DOBY, k.DOBM, k.DOBD}) | k.LDU_KEYS
# Shortcuts for the unique-per-person keys: the normalized value of a plain, valid input, or None
# to take the full path (which gives the same value, or the reason there is none).
_FAST_PATHS: dict[str, Callable[[str, str | None], str | None]] = {k.EMAIL: fast_email, k.PHONE: fast_phone}


class HashedRow(NamedTuple):
    """The payload cells of one record, and the (key, reason) of each present cell that was refused."""

    cells: list[str]
    rejected: list[tuple[str, str]]


def _make_cell(canonical: str) -> CellFn:
    """Normalize, then hash (hashed keys) or pass (the others); ("", None) for empty input. Never raises."""
    hashed = canonical in k.HASHED_KEYS
    fast = _FAST_PATHS.get(canonical)

    def cell(value: object, hint: str | None) -> Cell:
        if value is None or (type(value) is str and not value):
            return _BLANK
        try:
            if fast is not None and type(value) is str and (normalized := fast(value, hint)) is not None:
                return (_sha256(normalized.encode()).hexdigest() if hashed else normalized), None
            result = normalize_known(canonical, value, hint)
            if result.value is None:
                return ("", None) if result.reason == _EMPTY else ("", result.reason)
            return (_sha256(result.value.encode()).hexdigest() if hashed else result.value), None
        except Exception:  # one bad cell must not cost the row
            return _INVALID_VALUE

    return cell


_CELLS: dict[str, CellFn] = {key: _make_cell(key) for key in k.SCHEMA_KEYS}
_CACHES: dict[str, dict[object, Cell]] = {key: {} for key in _CACHED_KEYS}


def _cached(cell: CellFn, cache: dict[object, Cell], hinted: bool) -> CellFn:
    """``cell`` behind a bounded per-key cache of string inputs (emptied when full)."""
    lookup = cache.get

    def cached_cell(value: object, hint: str | None) -> Cell:
        if type(value) is not str:
            return cell(value, hint)
        cache_key = (value, hint) if hinted else value
        found = lookup(cache_key)
        if found is None:
            found = cell(value, hint if hinted else None)
            if len(cache) >= CELL_CACHE_SIZE:
                cache.clear()
            cache[cache_key] = found
        return found

    return cached_cell


def _prehashed_cell(value: object, hint: str | None) -> Cell:
    """A caller-declared SHA-256 digest: 64 hex digits, lower-cased; never the digest of ""."""
    if value is None or (type(value) is str and not value):
        return _BLANK
    if type(value) is not str:
        return _NOT_HASHED
    digest = value.strip().lower()
    if not digest:
        return _BLANK
    if _SHA256_HEX.fullmatch(digest) is None:
        return _NOT_HASHED
    return _HASH_OF_EMPTY if digest == EMPTY_SHA256 else (digest, None)


def _unknown_cell(value: object, hint: str | None) -> Cell:
    return _BLANK if value is None or (type(value) is str and not value) else _UNKNOWN


class _Plan(NamedTuple):
    steps: tuple[tuple[str, CellFn], ...]
    country_key: str
    needs_hint: bool


@lru_cache(maxsize=256)
def _plan(schema: tuple[str, ...], prehashed: frozenset[str]) -> _Plan:
    """One cell function per schema key, the record key that holds the country, and whether any key needs it."""
    declared = {c for c in (k.canonical_key(p) for p in prehashed) if c in k.HASHED_KEYS}
    steps: list[tuple[str, CellFn]] = []
    country_key = None
    needs_hint = False
    for key in schema:
        canonical = k.canonical_key(key)
        if canonical is None:
            steps.append((key, _unknown_cell))
            continue
        if canonical == k.COUNTRY and country_key is None:
            country_key = key
        if canonical in declared:
            steps.append((key, _prehashed_cell))
            continue
        needs_hint = needs_hint or canonical in k.HINTED_KEYS
        cell = _CELLS[canonical]
        cache = _CACHES.get(canonical)
        steps.append((key, cell if cache is None else _cached(cell, cache, canonical in k.HINTED_KEYS)))
    return _Plan(tuple(steps), country_key or k.COUNTRY, needs_hint)


def _compiled(schema: Sequence[str], prehashed: Collection[str]) -> _Plan:
    names = (schema,) if isinstance(schema, str) else tuple(schema)
    return _plan(names, frozenset(prehashed) if prehashed else _NONE)


def _row_hint(record: Mapping[str, object], plan: _Plan, default_country: str | None) -> str | None:
    if not plan.needs_hint:
        return None
    value = record.get(plan.country_key)
    found = country_hint(value) if type(value) is str and value else None
    if found is None and default_country:
        found = country_hint(default_country)
    return found


def hash_row(
    record: Mapping[str, object],
    schema: Sequence[str],
    *,
    default_country: str | None = None,
    prehashed: Collection[str] = (),
) -> HashedRow:
    """The payload row for ``record`` (keyed by schema key) in ``schema`` order, with the refused cells."""
    plan = _compiled(schema, prehashed)
    hint = _row_hint(record, plan, default_country)
    get = record.get
    cells: list[str] = []
    rejected: list[tuple[str, str]] = []
    for key, cell in plan.steps:
        value, reason = cell(get(key), hint)
        cells.append(value)
        if reason is not None:
            rejected.append((key, reason))
    return HashedRow(cells, rejected)


def hash_record(
    record: Mapping[str, object],
    schema: Sequence[str],
    *,
    default_country: str | None = None,
) -> list[str]:
    """The payload row for ``record``: hex digests, unhashed values, and ``""`` for missing/invalid cells."""
    plan = _compiled(schema, _NONE)
    hint = _row_hint(record, plan, default_country)
    get = record.get
    return [cell(get(key), hint)[0] for key, cell in plan.steps]


def clear_caches() -> None:
    """Forget cached cells (tests, or a long-lived process that wants its memory back)."""
    for cache in _CACHES.values():
        cache.clear()

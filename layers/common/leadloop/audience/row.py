"""One payload row for ``POST /{audience}/users``: :func:`hash_row` and :func:`hash_record`.

A row has one cell per schema key, in schema order: SHA-256 lowercase hex of the normalized value
for hashed keys, the normalized value itself for keys Meta says not to hash (:data:`UNHASHED_KEYS`),
and ``""`` for a cell that is missing, empty or invalid — never the hash of an empty string, and
never a hash of a hash:

* the country hint for PHONE/ST/ZIP is the record's COUNTRY value (when it names a country, even if
  COUNTRY is not in the schema), else ``default_country``;
* a value that looks like a SHA-256 digest is normalized and hashed like any other value unless
  the caller lists its key in ``prehashed``; then it must be 64 hex digits (lower-cased here) and
  is sent as is. ``prehashed`` only concerns hashed keys;
* ``rejected`` lists ``(key, reason)`` for every cell that was present and not empty but could not
  be used; missing and empty cells are not rejections.

Rows from CRM files and lead streams repeat the same names, cities, states and countries, so the
finished cells of those keys are cached per key (at most :data:`CELL_CACHE_SIZE` entries each, a
few MB in all; a full cache is emptied and refilled). EMAIL and PHONE are unique per person and are
not cached. :func:`clear_caches` empties the caches; they live only in the process's memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

from leadloop.audience import keys as k
from leadloop.audience.country import country_hint
from leadloop.audience.dispatch import normalize_known
from leadloop.audience.reasons import Reason
from leadloop.audience.text import sha256_hex

CELL_CACHE_SIZE = 4096
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_EMPTY = Reason.EMPTY.value
_UNKNOWN = ("", Reason.UNKNOWN_KEY.value)


class HashedRow(NamedTuple):
    """The payload cells of one record, and the (key, reason) of each present cell that was refused."""

    cells: list[str]
    rejected: list[tuple[str, str]]


Cell = tuple[str, str | None]
CellFn = Callable[[object, str | None], Cell]
_INVALID_VALUE: Cell = ("", Reason.INVALID_VALUE.value)
_NONE: frozenset[str] = frozenset()
# Keys whose values repeat across rows (names, places, dates): their finished cells are cached.
# EMAIL, PHONE and the ids are nearly unique per person, so caching them would only cost time.
_CACHED_KEYS = frozenset({k.FN, k.LN, k.FI, k.CT, k.ST, k.ZIP, k.COUNTRY, k.GEN, k.DOBY, k.DOBM, k.DOBD}) | k.LDU_KEYS


def _make_cell(canonical: str) -> CellFn:
    """The cell function of one key: normalize, then hash (hashed keys) or pass (the others). Never raises."""
    hashed = canonical in k.HASHED_KEYS

    def cell(value: object, hint: str | None) -> Cell:
        try:
            result = normalize_known(canonical, value, hint)
            if result.value is None:
                return "", result.reason
            return (sha256_hex(result.value) if hashed else result.value), None
        except Exception:  # one bad cell must not cost the row
            return _INVALID_VALUE

    return cell


def _unknown_cell(value: object, hint: str | None) -> Cell:
    return _UNKNOWN


_CELLS: dict[str, CellFn] = {key: _make_cell(key) for key in k.SCHEMA_KEYS}
# One bounded dict per cached key: value (or (value, hint)) → finished cell. Emptied when full, which
# is cheaper than LRU bookkeeping and, for values that repeat, just as effective.
_CACHES: dict[str, dict[object, Cell]] = {key: {} for key in _CACHED_KEYS}


class _Step(NamedTuple):
    key: str
    cell: CellFn
    cache: dict[object, Cell] | None
    hinted: bool
    prehashed: bool


class _Plan(NamedTuple):
    steps: tuple[_Step, ...]
    country_key: str
    needs_hint: bool


def _prehashed_cell(value: object) -> Cell:
    digest = value.strip().lower() if isinstance(value, str) else ""
    if not digest:
        return "", _EMPTY if isinstance(value, str) else Reason.NOT_HASHED_INPUT.value
    if _SHA256_HEX.fullmatch(digest) is None:
        return "", Reason.NOT_HASHED_INPUT.value
    if digest == EMPTY_SHA256:
        return "", Reason.HASH_OF_EMPTY.value
    return digest, None


@lru_cache(maxsize=256)
def _plan(schema: tuple[str, ...], prehashed: frozenset[str]) -> _Plan:
    """The steps for a schema, and the record key that holds the country (the schema's, else COUNTRY)."""
    declared = {c for c in (k.canonical_key(p) for p in prehashed) if c in k.HASHED_KEYS}
    steps = []
    country_key = None
    for key in schema:
        canonical = k.canonical_key(key)
        if canonical is None:
            steps.append(_Step(key, _unknown_cell, None, False, False))
            continue
        if canonical == k.COUNTRY and country_key is None:
            country_key = key
        hinted = canonical in k.HINTED_KEYS
        steps.append(_Step(key, _CELLS[canonical], _CACHES.get(canonical), hinted, canonical in declared))
    return _Plan(tuple(steps), country_key or k.COUNTRY, any(step.hinted for step in steps))


def _row_hint(record: Mapping[str, object], country_key: str, default_hint: str | None) -> str | None:
    value = record.get(country_key)
    if type(value) is not str or not value:
        return default_hint
    return country_hint(value) or default_hint


def hash_row(
    record: Mapping[str, object],
    schema: Sequence[str],
    *,
    default_country: str | None = None,
    prehashed: Collection[str] = (),
) -> HashedRow:
    """The payload row for ``record`` (keyed by schema key) in ``schema`` order, with the refused cells."""
    plan = _plan((schema,) if isinstance(schema, str) else tuple(schema), frozenset(prehashed) if prehashed else _NONE)
    hint = None
    if plan.needs_hint:
        hint = _row_hint(record, plan.country_key, country_hint(default_country) if default_country else None)
    cells: list[str] = []
    rejected: list[tuple[str, str]] = []
    get = record.get
    for key, cell_fn, cache, hinted, declared in plan.steps:
        value = get(key)
        if value is None or (type(value) is str and not value):
            cells.append("")
            continue
        if declared:
            cell, reason = _prehashed_cell(value)
        elif cache is not None and type(value) is str:
            cache_key = (value, hint) if hinted else value
            hit = cache.get(cache_key)
            if hit is None:
                hit = cell_fn(value, hint if hinted else None)
                if len(cache) >= CELL_CACHE_SIZE:
                    cache.clear()
                cache[cache_key] = hit
            cell, reason = hit
        else:
            cell, reason = cell_fn(value, hint if hinted else None)
        cells.append(cell)
        if reason is not None and reason != _EMPTY:
            rejected.append((key, reason))
    return HashedRow(cells, rejected)


def hash_record(
    record: Mapping[str, object],
    schema: Sequence[str],
    *,
    default_country: str | None = None,
) -> list[str]:
    """The payload row for ``record``: hex digests, unhashed values, and ``""`` for missing/invalid cells."""
    return hash_row(record, schema, default_country=default_country).cells


def clear_caches() -> None:
    """Forget cached cells (tests, or a long-lived process that wants its memory back)."""
    for cache in _CACHES.values():
        cache.clear()

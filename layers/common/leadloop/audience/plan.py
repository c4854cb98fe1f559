"""A schema compiled once into the steps of a row (:func:`compiled`), and the per-key cell caches.

Each step says how to make one cell, cheapest way first:

* ``cache``: the key's :class:`~.cells.CellCache` (names, places, dates, flags): a string value's
  finished cell is one dict lookup;
* ``shortcut``: the key's shortcut for plain input (EMAIL, PHONE), to be hashed by the caller;
* ``cell``: the full rules (or a pre-hashed check, an unknown key's blank, ST/ZIP's cache by hint),
  for everything else, and for what the shortcut leaves.

Callers pass the same schema object for every row, so :data:`RECENT` keeps the last one, a copy to
notice a change, and its plan: checking it is cheaper than hashing the keys again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from leadloop.audience import keys as k
from leadloop.audience.cells import (
    CACHED_KEYS,
    SHORTCUTS,
    Cell,
    CellCache,
    CellFn,
    Shortcut,
    full_cell,
    make_cell,
    prehashed_cell,
    unknown_cell,
)
from leadloop.audience.rowcode import RecordFn, RowFn, generate

__all__ = ["RECENT", "Last", "Plan", "Recent", "Step", "clear_caches", "compiled"]

NO_KEYS: frozenset[str] = frozenset()

_FULL: dict[str, CellFn] = {key: full_cell(key) for key in k.SCHEMA_KEYS}
# A cache miss takes the shortcut first (FN, LN, CT, FI have one).
_CACHES: dict[str, CellCache] = {key: CellCache(make_cell(key), hinted=key in k.HINTED_KEYS) for key in CACHED_KEYS}


class Step(NamedTuple):
    """How to make the cell of one schema key; ``key`` is the record's key for it."""

    key: str
    cache: CellCache | None
    shortcut: Shortcut | None
    cell: CellFn


class Plan(NamedTuple):
    """The steps of a row, and the row written out from them (:mod:`~.rowcode`): cells, or cells and rejections."""

    steps: tuple[Step, ...]
    record: RecordFn
    row: RowFn


def _by_hint(cache: CellCache, cell: CellFn) -> CellFn:
    """ST/ZIP: string values through the cache keyed by (value, hint), the rest straight to the rules."""

    def cached(value: object, hint: str | None) -> Cell:
        return cache[(value, hint)] if type(value) is str else cell(value, hint)

    return cached


def _step(key: str, canonical: str, declared: frozenset[str]) -> Step:
    if canonical in declared:
        return Step(key, None, None, prehashed_cell)
    cache = _CACHES.get(canonical)
    if cache is None:
        return Step(key, None, SHORTCUTS.get(canonical), _FULL[canonical])
    if canonical in k.HINTED_KEYS:
        return Step(key, None, None, _by_hint(cache, _FULL[canonical]))
    return Step(key, cache, None, _FULL[canonical])


def _compile(schema: tuple[str, ...], prehashed: frozenset[str]) -> Plan:
    declared = frozenset(c for c in (k.canonical_key(p) for p in prehashed) if c in k.HASHED_KEYS)
    steps: list[Step] = []
    country_key = None
    needs_hint = False
    for key in schema:
        canonical = k.canonical_key(key)
        if canonical is None:
            steps.append(Step(key, None, None, unknown_cell))
            continue
        if canonical == k.COUNTRY and country_key is None:
            country_key = key
        needs_hint = needs_hint or (canonical in k.HINTED_KEYS and canonical not in declared)
        steps.append(_step(key, canonical, declared))
    record, row = generate(steps, country_key or k.COUNTRY, needs_hint)
    return Plan(tuple(steps), record, row)


_PLANS: dict[tuple[tuple[str, ...], frozenset[str]], Plan] = {}
_MAX_PLANS = 256


class Last:
    """A schema compiled, a copy of it (a list can be edited in place) and its row functions.

    Never changed once made: :data:`RECENT` is switched to a new one whole, so a reader on another
    thread sees one schema's copy and functions together. Slots, because they are read every row.
    """

    __slots__ = ("copy", "prehashed", "record", "row", "schema")

    def __init__(self, schema: object, copy: object, prehashed: frozenset[str], plan: Plan) -> None:
        self.schema, self.copy, self.prehashed = schema, copy, prehashed
        self.record, self.row = plan.record, plan.row


class Recent:
    """Where the last schema's :class:`Last` is kept: one slot, callers pass the same schema every row."""

    __slots__ = ("last",)

    def __init__(self, last: Last) -> None:
        self.last = last


RECENT = Recent(Last(object(), object(), NO_KEYS, _compile((), NO_KEYS)))


def compiled(schema: Sequence[str], prehashed: Collection[str]) -> Plan:
    """The plan for ``schema`` (a single string is one key) with the keys declared pre-hashed."""
    declared = frozenset(prehashed) if prehashed else NO_KEYS
    names = (schema,) if isinstance(schema, str) else tuple(schema)
    plan = _PLANS.get((names, declared))
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[(names, declared)] = _compile(names, declared)
    RECENT.last = Last(schema, names if type(schema) is tuple else list(names), declared, plan)
    return plan


def clear_caches() -> None:
    """Forget cached cells (tests, or a long-lived process that wants its memory back)."""
    for cache in _CACHES.values():
        cache.clear()

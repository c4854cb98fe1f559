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

Speed (``bench/hash_throughput.py``): the schema is compiled once into a plan (:mod:`~.plan`) and a
row is one pass over its steps, with no call per cell where it can be avoided. Names, cities,
states, ZIPs, countries, genders and dates repeat from row to row, so their finished cells
(normalized *and* hashed) come from a bounded per-key cache keyed by the raw value (and the
country hint for ST and ZIP): a hit is one dict lookup. EMAIL and PHONE are unique per person and
are not cached; plain input takes a shortcut that gives the full rules' value (:mod:`~.cells`).
:func:`clear_caches` empties the caches; they live only in the process's memory.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from leadloop.audience.plan import NO_KEYS, RECENT, clear_caches, compiled
from leadloop.audience.rowcode import HashedRow

__all__ = ["HashedRow", "clear_caches", "hash_record", "hash_row"]


def hash_row(
    record: Mapping[str, object],
    schema: Sequence[str],
    *,
    default_country: str | None = None,
    prehashed: Collection[str] = (),
) -> HashedRow:
    """The payload row for ``record`` (keyed by schema key) in ``schema`` order, with the refused cells."""
    last = RECENT.last
    if last.schema is schema and not prehashed and not last.prehashed and last.copy == schema:
        return last.row(record, default_country)
    return compiled(schema, prehashed).row(record, default_country)


def hash_record(
    record: Mapping[str, object],
    schema: Sequence[str],
    *,
    default_country: str | None = None,
) -> list[str]:
    """The payload row for ``record``: hex digests, unhashed values, and ``""`` for missing/invalid cells."""
    last = RECENT.last
    if last.schema is schema and not last.prehashed and last.copy == schema:
        return last.record(record, default_country)
    return compiled(schema, NO_KEYS).record(record, default_country)

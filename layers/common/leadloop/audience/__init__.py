"""Meta-exact normalization and hashing of customer data for Custom Audiences (DESIGN §3).

Meta's table (meta-api.md §7.2) is followed exactly where it speaks; where it is silent each rule
module documents the choice that maximizes match rate:

* ``email`` EMAIL · ``phone`` PHONE (``phonemeta``: libphonenumber metadata compiled for speed)
* ``names`` FN, LN, FI · ``gender`` GEN · ``dates`` DOBY, DOBM, DOBD and ``split_date``
* ``location`` CT, ST, ZIP · ``country`` COUNTRY and the country hint
* ``ids`` MADID, EXTERN_ID, PAGEUID, APPUID, LOOKALIKE_VALUE · ``ldu`` the DATA_PROCESSING_OPTIONS columns

and around them: ``keys`` (the schema keys and which are hashed), ``reasons`` (result type and the
stable reason tokens), ``text`` (any input → clean text), ``dispatch`` (one value → its normal
form), ``cells`` (one payload cell: shortcuts, hashing, the bounded cell caches), ``plan`` (a
schema compiled once), ``rowcode`` (its row written out as one function), ``row`` (one payload
row), ``payload`` (row cell → Graph JSON value).

Public API::

    normalize(key, value, *, country=None) -> str | None
    normalize_cell(key, value, *, country=None) -> Normalized(value, reason)
    hash_record(record, schema, *, default_country=None) -> list[str]
    hash_row(record, schema, *, default_country=None, prehashed=()) -> HashedRow(cells, rejected)
    payload_cell(key, cell) -> JSON value for the Graph payload
    split_date(value) -> (YYYY, MM, DD) | None
    sha256_hex(text) -> str

Importing this package does no I/O and loads neither pycountry's tables nor phonenumbers'
metadata; both are loaded on first use and cached.
"""

from __future__ import annotations

from leadloop.audience.dates import split_date
from leadloop.audience.dispatch import normalize, normalize_cell
from leadloop.audience.keys import HASHED_KEYS, LDU_KEYS, SCHEMA_KEYS, UNHASHED_KEYS
from leadloop.audience.payload import payload_cell
from leadloop.audience.reasons import REASONS, Normalized, Reason
from leadloop.audience.row import HashedRow, clear_caches, hash_record, hash_row
from leadloop.audience.text import sha256_hex

__all__ = [
    "HASHED_KEYS",
    "LDU_KEYS",
    "REASONS",
    "SCHEMA_KEYS",
    "UNHASHED_KEYS",
    "HashedRow",
    "Normalized",
    "Reason",
    "clear_caches",
    "hash_record",
    "hash_row",
    "normalize",
    "normalize_cell",
    "payload_cell",
    "sha256_hex",
    "split_date",
]

"""Meta's multi-key schema keys and how each one is sent (meta-api.md §5.3, §7.2, §8).

Hashed keys go out as SHA-256 lowercase hex; the others go out as their normalized value because
Meta says not to hash them (device ids, scoped user ids, the advertiser's own id, values, LDU
flags). PHONE, ST and ZIP read the row's country, so they take a country hint.
"""

from __future__ import annotations

EMAIL = "EMAIL"
PHONE = "PHONE"
GEN = "GEN"
DOBY = "DOBY"
DOBM = "DOBM"
DOBD = "DOBD"
LN = "LN"
FN = "FN"
FI = "FI"
CT = "CT"
ST = "ST"
ZIP = "ZIP"
COUNTRY = "COUNTRY"
MADID = "MADID"
EXTERN_ID = "EXTERN_ID"
PAGEUID = "PAGEUID"
APPUID = "APPUID"
LOOKALIKE_VALUE = "LOOKALIKE_VALUE"
DATA_PROCESSING_OPTIONS = "DATA_PROCESSING_OPTIONS"
DATA_PROCESSING_OPTIONS_COUNTRY = "DATA_PROCESSING_OPTIONS_COUNTRY"
DATA_PROCESSING_OPTIONS_STATE = "DATA_PROCESSING_OPTIONS_STATE"

HASHED_KEYS: frozenset[str] = frozenset({EMAIL, PHONE, GEN, DOBY, DOBM, DOBD, LN, FN, FI, CT, ST, ZIP, COUNTRY})
#: The Limited Data Use columns in the order a schema lists them.
LDU_SCHEMA: tuple[str, ...] = (DATA_PROCESSING_OPTIONS, DATA_PROCESSING_OPTIONS_COUNTRY, DATA_PROCESSING_OPTIONS_STATE)
LDU_KEYS: frozenset[str] = frozenset(LDU_SCHEMA)
UNHASHED_KEYS: frozenset[str] = frozenset({MADID, EXTERN_ID, PAGEUID, APPUID, LOOKALIKE_VALUE}) | LDU_KEYS
SCHEMA_KEYS: frozenset[str] = HASHED_KEYS | UNHASHED_KEYS
# Keys whose normal form depends on the person's country.
HINTED_KEYS: frozenset[str] = frozenset({PHONE, ST, ZIP})


def canonical_key(key: object) -> str | None:
    """The schema key for ``key`` (any case, surrounding spaces ignored), or None if Meta has none."""
    if not isinstance(key, str):
        return None
    if key in SCHEMA_KEYS:
        return key
    upper = key.strip().upper()
    return upper if upper in SCHEMA_KEYS else None

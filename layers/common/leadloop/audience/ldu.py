"""Limited Data Use columns: DATA_PROCESSING_OPTIONS (+ _COUNTRY, _STATE) (meta-api.md §8).

Rows are lists of strings, so the LDU cells are the JSON text of what Meta wants and
:func:`leadloop.audience.payload.payload_cell` turns them into JSON values for the request:

=====================================  =========================  =================================
column                                 row cell                   payload value
=====================================  =========================  =================================
DATA_PROCESSING_OPTIONS                ``'["LDU"]'`` or ``'[]'``  ``["LDU"]`` / ``[]`` (``""`` → ``[]``)
DATA_PROCESSING_OPTIONS_COUNTRY        ``'1'`` (USA) or ``'0'``   ``1`` / ``0`` (``""`` → ``0``)
DATA_PROCESSING_OPTIONS_STATE          ``'1000'``…``'1013'``, ``'0'``  the integer (``""`` → ``0``)
=====================================  =========================  =================================

``0`` means "let Meta geolocate", which is also what an absent value means, so a blank cell maps
to it. Inputs: the options take ``["LDU"]`` / ``[]`` (a list or its JSON text), ``LDU``, booleans and
yes/no words; the country takes 1/0 or a name/code of the USA; the state takes Meta's numeric code,
0, or the name/code of one of the fourteen states Meta lists (California 1000 … Rhode Island 1013).
Other values are ``invalid_value``: a state without an LDU code has no number to send.
"""

from __future__ import annotations

import json

from leadloop.audience.country import country_code
from leadloop.audience.location import us_state_code
from leadloop.audience.reasons import INVALID_VALUE, Normalized
from leadloop.audience.text import prepare

LDU_ON = '["LDU"]'
LDU_OFF = "[]"
GEOLOCATE = "0"
USA = "1"
STATE_CODES: dict[str, str] = {
    "ca": "1000", "co": "1001", "ct": "1002", "fl": "1003", "or": "1004", "tx": "1005", "mt": "1006",
    "de": "1007", "ne": "1008", "nh": "1009", "nj": "1010", "mn": "1011", "md": "1012", "ri": "1013",
}  # fmt: skip
_STATE_NUMBERS = frozenset(STATE_CODES.values()) | {GEOLOCATE}
_YES = frozenset({"ldu", "true", "yes", "y", "on", "1"})
_NO = frozenset({"false", "no", "n", "off", "0"})


def _options_from_list(items: list[object] | tuple[object, ...]) -> Normalized:
    flags = set()
    for item in items:
        if not isinstance(item, str):
            return INVALID_VALUE
        flags.add(item.strip().upper())
    if flags - {"LDU"}:
        return INVALID_VALUE
    return Normalized(LDU_ON if flags else LDU_OFF, None)


def normalize_options(value: object) -> Normalized:
    if isinstance(value, bool):
        return Normalized(LDU_ON if value else LDU_OFF, None)
    if isinstance(value, list | tuple):
        return _options_from_list(value)
    text = prepare(value)
    if not isinstance(text, str):
        return text
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            return INVALID_VALUE
        return _options_from_list(parsed) if isinstance(parsed, list) else INVALID_VALUE
    word = text.lower()
    if word in _YES:
        return Normalized(LDU_ON, None)
    if word in _NO:
        return Normalized(LDU_OFF, None)
    return INVALID_VALUE


def normalize_ldu_country(value: object) -> Normalized:
    text = prepare(value)
    if not isinstance(text, str):
        return text
    if text in (USA, GEOLOCATE):
        return Normalized(text, None)
    return Normalized(USA, None) if country_code(text) == "us" else INVALID_VALUE


def normalize_ldu_state(value: object) -> Normalized:
    text = prepare(value)
    if not isinstance(text, str):
        return text
    if text in _STATE_NUMBERS:
        return Normalized(text, None)
    code = us_state_code(text)
    number = STATE_CODES.get(code) if code else None
    return INVALID_VALUE if number is None else Normalized(number, None)

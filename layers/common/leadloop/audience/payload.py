"""From a row cell (always a string) to the JSON value Meta's ``payload.data`` wants for its column."""

from __future__ import annotations

from typing import Any

from leadloop.audience.keys import (
    DATA_PROCESSING_OPTIONS,
    DATA_PROCESSING_OPTIONS_COUNTRY,
    DATA_PROCESSING_OPTIONS_STATE,
    LOOKALIKE_VALUE,
)
from leadloop.audience.ldu import LDU_ON


def payload_cell(key: str, cell: str) -> Any:
    """The JSON value to send for ``cell`` of column ``key``.

    LDU options become ``["LDU"]``/``[]``, the LDU country and state become integers (blank → 0,
    "geolocate"), LOOKALIKE_VALUE becomes a number (blank stays ``""``), every other cell is sent
    as the string it is.
    """
    if key == DATA_PROCESSING_OPTIONS:
        return ["LDU"] if cell == LDU_ON else []
    if key in (DATA_PROCESSING_OPTIONS_COUNTRY, DATA_PROCESSING_OPTIONS_STATE):
        return int(cell) if cell.isascii() and cell.isdigit() else 0
    if key == LOOKALIKE_VALUE and cell:
        try:
            return int(cell) if cell.isdigit() else float(cell)
        except ValueError:
            return cell
    return cell

"""The packed rows of an AudienceQueue message: ``base64url(zlib(JSON rows))``.

Why packed: Lambda hands the uploader at most 6 MB of event per batch, and a hex digest costs 69
bytes there once JSON-in-JSON escaping is counted. Compressed, a unique digest costs about the 43
base64 characters of its 32 bytes, and cells that repeat across leads (country, city, first names,
empty cells) nearly vanish; base64url needs no escaping in any JSON encoder. Decoding is bounded,
so a crafted body cannot inflate without limit.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Sequence

#: Decoded rows larger than this are refused (10,000 rows of 100 hex cells are about 7 MB).
MAX_UNPACKED_BYTES = 32 * 1024 * 1024


class PackedRowsError(ValueError):
    """The packed rows cannot be decoded; the message says why without quoting any content."""


def pack_rows(rows: Sequence[Sequence[str]]) -> str:
    text = json.dumps([list(row) for row in rows], separators=(",", ":"))
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode("ascii")


def unpack_rows(packed: str) -> list[list[str]]:
    """The rows (a list of lists of strings); ``PackedRowsError`` for anything else."""
    try:
        compressed = base64.urlsafe_b64decode(packed.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        raise PackedRowsError("packed rows are not base64url") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, MAX_UNPACKED_BYTES)
    except zlib.error:
        raise PackedRowsError("packed rows are not zlib data") from None
    if inflater.unconsumed_tail:
        raise PackedRowsError(f"packed rows exceed {MAX_UNPACKED_BYTES} bytes")
    if not inflater.eof:
        raise PackedRowsError("packed rows are truncated")
    try:
        rows = json.loads(raw)
    except ValueError:
        raise PackedRowsError("packed rows are not JSON") from None
    if not isinstance(rows, list) or not all(
        isinstance(row, list) and all(isinstance(cell, str) for cell in row) for row in rows
    ):
        raise PackedRowsError("packed rows are not a list of lists of strings")
    return rows

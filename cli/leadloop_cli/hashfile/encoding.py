"""Which codec reads the input: UTF-8 by default, or the one the file's byte-order mark announces.

Excel's "Unicode Text" and many Windows CRM exports are UTF-16 with a BOM. Read as UTF-8, every
other byte is a NUL, no header name matches, and an undecodable byte sent the user to cp1252, which
is wrong too. A BOM is unambiguous, so without ``--encoding`` the file is read as it says; an
``--encoding`` that contradicts the mark stops the run naming the right one. Without a mark nothing
is guessed while reading, but a header full of NULs gets the UTF-16/32 advice (:func:`wide_hint`).
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from leadloop_cli.hashfile.errors import HashFileError

__all__ = ["DEFAULT_ENCODING", "Bom", "choose_encoding", "peek_start", "sniff_bom", "wide_hint"]

DEFAULT_ENCODING = "utf-8-sig"
"""UTF-8 with or without a BOM: what a file without a mark is read as."""


@dataclass(frozen=True, slots=True)
class Bom:
    """A byte-order mark, the codec that reads a file starting with it, and the codecs that agree."""

    mark: bytes
    codec: str
    label: str
    agrees: frozenset[str]


_BOMS = (  # UTF-32's first: FF FE also starts the little-endian UTF-16 mark
    Bom(b"\xff\xfe\x00\x00", "utf-32", "UTF-32 (little-endian)", frozenset({"utf-32", "utf-32-le"})),
    Bom(b"\x00\x00\xfe\xff", "utf-32", "UTF-32 (big-endian)", frozenset({"utf-32", "utf-32-be"})),
    Bom(b"\xef\xbb\xbf", "utf-8-sig", "UTF-8", frozenset({"utf-8", "utf-8-sig"})),
    Bom(b"\xff\xfe", "utf-16", "UTF-16 (little-endian)", frozenset({"utf-16", "utf-16-le"})),
    Bom(b"\xfe\xff", "utf-16", "UTF-16 (big-endian)", frozenset({"utf-16", "utf-16-be"})),
)


def sniff_bom(start: bytes) -> Bom | None:
    """The mark ``start`` (the file's first bytes) begins with, if any."""
    return next((bom for bom in _BOMS if start.startswith(bom.mark)), None)


def choose_encoding(start: bytes, requested: str | None) -> str:
    """The codec to read with: ``requested`` if given (and not contradicted by a mark), else the mark's.

    A codec that agrees with the mark but does not consume it (``utf-16-le``, ``utf-8``) leaves a
    U+FEFF in front of the first header name, which the reader strips.
    """
    bom = sniff_bom(start)
    if requested is None:
        return bom.codec if bom is not None else DEFAULT_ENCODING
    if bom is not None and codecs.lookup(requested).name not in bom.agrees:
        raise HashFileError(
            f"the input starts with a {bom.label} byte-order mark but --encoding is {requested}; "
            f"use --encoding {bom.codec} (or leave --encoding out)"
        )
    return requested


def peek_start(binary: BinaryIO, size: int = 4) -> bytes:
    """The first ``size`` bytes, left unread (a pipe that has delivered fewer gives fewer)."""
    peek = getattr(binary, "peek", None)
    if callable(peek):
        return bytes(peek(size)[:size])
    if binary.seekable():
        where = binary.tell()
        data = binary.read(size)
        binary.seek(where)
        return data
    return b""


def wide_hint(header: Sequence[str]) -> str | None:
    """``"utf-16-le"`` etc. when the header looks like UTF-16/32 without a mark read as UTF-8.

    ASCII text in those encodings is each character padded with NULs: the padding's position
    (before or after, one or three) gives the encoding.
    """
    text = ",".join(header)
    if "\x00" not in text:
        return None
    nul = [char == "\x00" for char in (text + "xxxx")[:4]]
    if nul[0]:
        return "utf-32-be" if nul[1] and nul[2] else "utf-16-be"
    return "utf-32-le" if nul[1] and nul[2] and nul[3] else "utf-16-le"

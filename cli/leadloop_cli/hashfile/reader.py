"""Stream CSV records from a file of any size, one bounded record at a time.

Why not ``csv.reader(open(path))``: one mis-encoded byte or one runaway field in a CRM export must
cost that row, not the run. The bytes are decoded incrementally with ``errors="surrogateescape"``,
so an undecodable byte becomes a lone surrogate (U+DC80..U+DCFF) the caller can spot in the row's
cells instead of an exception that ends the stream. Lines are split the way ``csv`` wants them
(``newline=""``: ``\\n``, ``\\r\\n`` and old-Mac ``\\r`` all end a line, quoted newlines are kept).
Memory stays bounded whatever the input: a physical line is read at most ``MAX_ROW_CHARS`` at a
time, a record may not grow past ``MAX_ROW_CHARS``, a field past ``MAX_FIELD_CHARS``.

Row numbers are what a spreadsheet shows: the header is row 1, the first data row is row 2, and a
quoted field that spans several lines is still one row. Every row also carries the physical lines it
was read from (``line``..``end_line``), so a quote that swallowed the lines after it shows as a long
span (:mod:`~.swallow` decides what that costs) and every line of the file is in exactly one row.

A quote still open at the end of the file, or a quoted field that runs past ``MAX_FIELD_CHARS`` over
several lines, is ``unterminated_quote``: its fields are not kept. After an oversized or malformed
record, parsing resumes at the next physical line. If that record had a quoted field spanning lines,
the rest of it is read as new rows, which then show up as ragged rows: a file that broken is
reported, not silently repaired.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
import sys
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO, NamedTuple, Self

from leadloop_cli.hashfile.encoding import choose_encoding, peek_start
from leadloop_cli.hashfile.errors import HashFileError

__all__ = ["MAX_FIELD_CHARS", "MAX_ROW_CHARS", "CsvFileReader", "Row", "has_undecodable"]

MAX_FIELD_CHARS = 1 << 20
"""Largest field accepted (csv's own default, 128 KiB, is small for a notes column)."""

MAX_ROW_CHARS = 4 << 20
"""Largest record accepted, all fields and line breaks included."""

_LINE_ENDS = ("\n", "\r")


_UNDECODABLE = re.compile("[\udc80-\udcff]")


class Row(NamedTuple):
    """One data record: its row number, its fields, and a problem token when it could not be read.

    ``undecodable`` says some line of the record held bytes the encoding could not decode; the
    caller decides whether that matters (it does only in the columns it uses). ``line`` and
    ``end_line`` are the first and last physical lines (1-based) the record was read from.
    """

    number: int
    fields: list[str]
    problem: str | None = None
    undecodable: bool = False
    line: int = 0
    end_line: int = 0


def has_undecodable(text: str) -> bool:
    """Whether ``text`` holds bytes the input encoding could not decode (as surrogate escapes)."""
    return not text.isascii() and _UNDECODABLE.search(text) is not None


class _Oversized(Exception):
    """Raised through ``csv.reader`` to abandon a record that grew past the limit."""


class _LineFeed:
    """Physical lines for ``csv.reader``, each capped; an iterator class so it survives raising."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self.record_chars = 0
        self.undecodable = False
        self.lines = 0  # physical lines handed out so far
        self.eof = False  # csv asked for a line past the end: only inside an open quote mid-record

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> str:
        line = self._text.readline(MAX_ROW_CHARS)
        if not line:
            self.eof = True
            raise StopIteration
        self.lines += 1
        self.record_chars += len(line)
        if len(line) >= MAX_ROW_CHARS and not line.endswith(_LINE_ENDS):
            self._skip_rest_of_line()
            raise _Oversized
        if self.record_chars > MAX_ROW_CHARS:
            raise _Oversized
        if not line.isascii() and _UNDECODABLE.search(line) is not None:
            self.undecodable = True
        return line

    def _skip_rest_of_line(self) -> None:
        while True:
            chunk = self._text.readline(MAX_ROW_CHARS)
            if not chunk or chunk.endswith(_LINE_ENDS):
                return


class CsvFileReader:
    """A CSV file (or stdin for ``-``) read record by record; use as a context manager.

    ``encoding`` ``None`` reads UTF-8, or UTF-16/32 when the file starts with their byte-order mark
    (:mod:`~.encoding`); :attr:`encoding` is the codec actually used once entered.
    """

    def __init__(self, path: str, *, encoding: str | None = None, delimiter: str = ",") -> None:
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise HashFileError(f"unknown --encoding {encoding!r}") from None
        self.path = path
        self._requested = encoding
        self.encoding = encoding
        self._delimiter = delimiter
        self._binary: BinaryIO | None = None
        self._owns_binary = path != "-"
        self._saved_field_limit: int | None = None
        self.total_bytes: int | None = None

    def __enter__(self) -> Self:
        if self.path == "-":
            binary: BinaryIO = sys.stdin.buffer
        else:
            try:
                binary = open(self.path, "rb")
            except OSError as exc:
                raise HashFileError(f"cannot read {self.path}: {exc.strerror or type(exc).__name__}") from None
        try:
            self.encoding = choose_encoding(peek_start(binary), self._requested)
        except (HashFileError, OSError) as exc:
            if self._owns_binary:
                binary.close()
            if isinstance(exc, HashFileError):
                raise
            raise HashFileError(f"cannot read {self.path}: {exc.strerror or type(exc).__name__}") from None
        self._binary = binary
        if self._owns_binary:
            self.total_bytes = _regular_file_size(binary)
        self._text = io.TextIOWrapper(binary, encoding=self.encoding, errors="surrogateescape", newline="")
        self._feed = _LineFeed(self._text)
        self._saved_field_limit = csv.field_size_limit(MAX_FIELD_CHARS)
        self._reader = csv.reader(self._feed, delimiter=self._delimiter)
        self._number = 0
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._saved_field_limit is not None:
            csv.field_size_limit(self._saved_field_limit)
            self._saved_field_limit = None
        if self._binary is not None:
            self._text.detach()  # so the wrapper never closes stdin on its way out
            if self._owns_binary:
                self._binary.close()
            self._binary = None

    def bytes_read(self) -> int | None:
        """How far into the input the decoder has read (``None`` for a pipe)."""
        if self._binary is None or not self._owns_binary:
            return None
        try:
            return self._binary.tell()
        except (OSError, ValueError):
            return None

    def header(self) -> list[str]:
        """Row 1, the column names (surrounding whitespace and a stray BOM removed)."""
        row = self._next_record()
        if row is None:
            raise HashFileError("the input is empty: it needs a header row")
        if row.problem is not None:
            raise HashFileError(f"the header row cannot be read ({row.problem})")
        if not row.fields or not any(name.strip() for name in row.fields):
            raise HashFileError("row 1 is blank: the header must be the first row")
        return [name.strip().lstrip("\ufeff").strip() for name in row.fields]

    def rows(self) -> Iterator[Row]:
        """Every data record after the header, in order, problems included."""
        while (row := self._next_record()) is not None:
            yield row

    @property
    def lines_read(self) -> int:
        """Physical lines read so far, the header's included."""
        return self._feed.lines

    def _next_record(self) -> Row | None:
        self._number += 1
        feed = self._feed
        feed.record_chars = 0
        feed.undecodable = False
        first = feed.lines + 1
        try:
            fields = next(self._reader)
        except StopIteration:
            return None
        except _Oversized:
            return Row(self._number, [], "row_too_large", False, first, feed.lines)
        except csv.Error as exc:
            if "field limit" not in str(exc):
                problem = "malformed_row"
            else:  # a field runs past the limit over line breaks: only an open quote does that
                problem = "unterminated_quote" if feed.lines > first else "field_too_large"
            return Row(self._number, [], problem, False, first, feed.lines)
        except OSError as exc:
            raise HashFileError(
                f"row {self._number}: cannot read {self.path}: {exc.strerror or type(exc).__name__}"
            ) from None
        except UnicodeError:
            raise HashFileError(
                f"row {self._number}: the input cannot be decoded as {self.encoding} from here on; check --encoding"
            ) from None
        if feed.eof:  # csv returns a record cut off by the end of the file inside a quote
            return Row(self._number, [], "unterminated_quote", False, first, feed.lines)
        return Row(self._number, fields, None, feed.undecodable, first, feed.lines)


def _regular_file_size(binary: BinaryIO) -> int | None:
    try:
        info = os.fstat(binary.fileno())
    except (OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None

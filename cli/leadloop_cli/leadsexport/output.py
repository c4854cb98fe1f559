"""Export output that appears whole or not at all: rows stream to a temporary file beside OUT.

The temporary file is in OUT's directory (same filesystem, so ``os.replace`` is atomic), created
``0600`` because it holds raw answers; a replaced OUT keeps its mode. It is flushed, fsynced and
renamed on :meth:`AtomicOutput.commit` and removed on any failure, so a failed export leaves OUT
as it was. What may be replaced is decided by :mod:`leadloop_cli.hashfile.writer`'s rules (a new
or regular file only: never a link, device, pipe or directory), checked up front and again just
before the rename. ``-`` writes to stdout, where a failure cannot take back the rows already sent.

The CSV is UTF-8 without a byte-order mark, RFC 4180 quoting and CRLF line ends (Python's
``csv`` defaults); JSONL is one compact JSON object per line, UTF-8, non-ASCII kept as is.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, TextIO

from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.writer import AtomicTextFile, check_output_path
from leadloop_cli.leadsexport.columns import escape_cell
from leadloop_cli.leadsexport.errors import ExportError

__all__ = ["AtomicOutput", "CsvSink", "JsonlSink", "check_target"]


def check_target(target: str) -> None:
    """Fail before any DynamoDB read when OUT could not be written (or must never be replaced)."""
    try:
        check_output_path(target)
    except HashFileError as exc:
        raise ExportError(str(exc)) from None


class AtomicOutput(AtomicTextFile):
    """UTF-8 text (newlines as written: the CSV writer sends CRLF) that replaces OUT only when committed."""

    def __init__(self, target: str) -> None:
        super().__init__(target, encoding="utf-8", newline="")

    def _error(self, message: str) -> Exception:
        return ExportError(message)

    def _closed(self) -> Exception:
        return ExportError("the output pipe closed before every lead was written")


class CsvSink:
    """CSV rows with every cell made safe for spreadsheets (:func:`escape_cell`), header included."""

    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def write_row(self, cells: Sequence[str]) -> None:
        self._writer.writerow([escape_cell(cell) for cell in cells])


class JsonlSink:
    """One JSON object per line; values as they are (JSONL is not opened as a spreadsheet)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write_object(self, document: dict[str, Any]) -> None:
        self._stream.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")

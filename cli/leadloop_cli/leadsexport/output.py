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

import contextlib
import csv
import json
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TextIO

from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.writer import check_output_path, refuse_non_regular
from leadloop_cli.leadsexport.columns import escape_cell
from leadloop_cli.leadsexport.errors import ExportError

__all__ = ["AtomicOutput", "CsvSink", "JsonlSink", "check_target"]


def check_target(target: str) -> None:
    """Fail before any DynamoDB read when OUT could not be written (or must never be replaced)."""
    try:
        check_output_path(target)
    except HashFileError as exc:
        raise ExportError(str(exc)) from None


class AtomicOutput:
    """A text stream to ``target``; a context manager that discards everything unless committed."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._stream: TextIO | None = None
        self._temp: str | None = None
        self.committed = False

    def __enter__(self) -> Self:
        if self.target == "-":
            self._stream = sys.stdout
            return self
        path = Path(self.target)
        try:
            fd, self._temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
            if path.exists():
                os.chmod(self._temp, stat.S_IMODE(path.stat().st_mode))
        except OSError as exc:
            raise ExportError(f"cannot create {self.target}: {exc.strerror or type(exc).__name__}") from None
        self._stream = open(fd, "w", encoding="utf-8", newline="", buffering=1 << 16)
        return self

    @property
    def stream(self) -> TextIO:
        assert self._stream is not None, "use AtomicOutput as a context manager"
        return self._stream

    def commit(self) -> None:
        """Make the output visible as ``target`` (flush for stdout)."""
        try:
            self.stream.flush()
            if self._temp is not None:
                os.fsync(self.stream.fileno())
                self.stream.close()
                refuse_non_regular(self.target)  # it may have changed since the up-front check
                os.replace(self._temp, self.target)
                self._temp = None
        except HashFileError as exc:
            raise ExportError(str(exc)) from None
        except OSError as exc:
            raise write_error(self.target, exc) from None
        self.committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._temp is not None:
            with contextlib.suppress(OSError):
                self.stream.close()
            Path(self._temp).unlink(missing_ok=True)
            self._temp = None


def write_error(target: str, exc: OSError) -> ExportError:
    if isinstance(exc, BrokenPipeError):
        return ExportError("the output pipe closed before every lead was written")
    where = "stdout" if target == "-" else target
    return ExportError(f"cannot write {where}: {exc.strerror or type(exc).__name__}")


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

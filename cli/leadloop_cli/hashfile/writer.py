"""JSONL payload rows, written as they come, to a file that appears whole or not at all.

An audience replace fed a half-written file would drop real members, so ``OUT`` is only ever
replaced by a finished file: rows go to a temporary file in the same directory (same filesystem,
so the final ``os.replace`` is atomic), which is flushed, fsynced and renamed on :meth:`commit`
and removed otherwise. A new file is created ``0600`` (hashed contact data is still personal data);
a replaced file keeps its mode. ``-`` streams to stdout instead.

Only a regular file is ever replaced. A target that exists as anything else is refused, up front and
again just before the rename: ``os.replace`` would turn a device (``--out /dev/null`` run as root),
a named pipe or a socket into a file of hashed contact data. A symbolic link is refused too, even to
a regular file: replacing it would cut the link and leave the rows beside it, and writing through
it would send personal data wherever the link points, which in a shared directory someone else may
have chosen. The user can always name the link's target.

Output is ASCII: non-ASCII in a normalized value is ``\\u`` escaped, which every JSON reader decodes
and no terminal or locale can mangle.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

from leadloop_cli.hashfile.errors import HashFileError, OutputClosed

__all__ = [
    "AtomicTextFile",
    "JsonlWriter",
    "check_output_path",
    "encode_row",
    "refuse_non_regular",
    "write_text_atomic",
]

_ENCODER = json.JSONEncoder(separators=(",", ":"))
_encode_string: Callable[[str], str] = json.encoder.encode_basestring_ascii


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def encode_row(cells: Sequence[object]) -> str:
    """One payload row as its JSONL line (ASCII, newline included)."""
    try:  # the common case, all strings, at C speed; anything else through the full encoder
        return "[" + ",".join(map(_encode_string, cells)) + "]\n"  # type: ignore[arg-type]
    except TypeError:
        return _ENCODER.encode(cells) + "\n"


def refuse_non_regular(target: str) -> None:
    """Raise unless ``target`` is absent or a regular file (``lstat``: nothing is opened, no link followed)."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise HashFileError(f"cannot check {target}: {exc.strerror or type(exc).__name__}") from None
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    hint = " (for the report alone: --out - and send stdout to /dev/null)" if stat.S_ISCHR(mode) else ""
    raise HashFileError(
        f"{target} is {kind}, not a regular file: it is never replaced; give the path of a new or regular file{hint}"
    )


def check_output_path(target: str, *, input_path: str | None = None) -> None:
    """Fail before any work if ``target`` cannot be (atomically) written."""
    if target == "-":
        return
    refuse_non_regular(target)
    path = Path(target)
    parent = path.parent
    if not parent.is_dir():
        raise HashFileError(f"the directory of {target} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise HashFileError(f"cannot write in the directory of {target}")
    if input_path not in (None, "-") and path.exists() and Path(input_path).exists() and path.samefile(input_path):
        raise HashFileError("--out is the input file; write the payload rows somewhere else")


class AtomicTextFile:
    """A text stream that appears as ``target`` whole, on :meth:`commit`, or not at all (``-``: stdout).

    Subclasses say how a failure is reported (:meth:`_error`, :meth:`_closed`): ``leadloop hash``
    and ``leadloop leads export`` share the file handling and keep their own errors.
    """

    def __init__(self, target: str, *, encoding: str, newline: str) -> None:
        self.target = target
        self._encoding = encoding
        self._newline = newline
        self._stream: TextIO | None = None
        self._temp: str | None = None
        self._committed = False

    def _error(self, message: str) -> Exception:
        return HashFileError(message)

    def _closed(self) -> Exception:
        return OutputClosed("the output pipe closed before everything was written")

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
            raise self._error(f"cannot create {self.target}: {exc.strerror or type(exc).__name__}") from None
        self._stream = open(fd, "w", encoding=self._encoding, newline=self._newline, buffering=1 << 16)
        return self

    @property
    def stream(self) -> TextIO:
        assert self._stream is not None, f"use {type(self).__name__} as a context manager"
        return self._stream

    def write_error(self, exc: OSError) -> Exception:
        """What a failed write (or flush) means for the caller."""
        if isinstance(exc, BrokenPipeError):
            return self._closed()
        where = "stdout" if self.target == "-" else self.target
        return self._error(f"cannot write {where}: {exc.strerror or type(exc).__name__}")

    def commit(self) -> None:
        """Make the output visible as ``target`` (flush for stdout)."""
        try:
            self.stream.flush()
            if self._temp is not None:
                os.fsync(self.stream.fileno())
                self.stream.close()
                refuse_non_regular(self.target)  # it may have changed since the up-front check
                os.replace(self._temp, self.target)
        except HashFileError as exc:
            raise self._error(str(exc)) from None
        except OSError as exc:
            raise self.write_error(exc) from None
        self._temp = None
        self._committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._temp is not None:
            assert self._stream is not None
            with contextlib.suppress(OSError):
                self._stream.close()
            Path(self._temp).unlink(missing_ok=True)
            self._temp = None

    @property
    def committed(self) -> bool:
        return self._committed


class JsonlWriter(AtomicTextFile):
    """One JSON array per line (ASCII); rows are discarded unless committed."""

    def __init__(self, target: str) -> None:
        super().__init__(target, encoding="ascii", newline="\n")

    def _closed(self) -> Exception:
        return OutputClosed("the output pipe closed before every row was written")

    def write(self, cells: Sequence[object]) -> None:
        """Append one payload row."""
        self.write_lines(encode_row(cells))

    def write_lines(self, text: str) -> None:
        """Append payload rows already encoded by :func:`encode_row` (joined)."""
        try:
            self.stream.write(text)
        except OSError as exc:
            raise self.write_error(exc) from None


def write_text_atomic(target: str, text: str) -> None:
    """Write a small text file (the JSON report) with the same all-or-nothing rule."""
    if target == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(target)
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        try:
            with open(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            refuse_non_regular(target)
            os.replace(temp, path)
        finally:
            Path(temp).unlink(missing_ok=True)
    except OSError as exc:
        raise HashFileError(f"cannot write {target}: {exc.strerror or type(exc).__name__}") from None

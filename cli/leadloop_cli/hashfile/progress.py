"""Progress on stderr: a bar on a terminal, a plain line now and then in a log, nothing with --quiet.

Hand-rolled (a dozen lines of formatting) rather than a new dependency: the CLI installs into the
same environment as the Lambda layer's tests, and a bar is not worth a package. ``tick`` is called
once per row, so it only looks at the clock every ``_CHECK_EVERY`` rows.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import Literal, TextIO

__all__ = ["Progress", "ProgressMode"]

ProgressMode = Literal["bar", "lines", "off"]

_CHECK_EVERY = 1024
_BAR_INTERVAL = 0.2
_LINE_INTERVAL = 10.0


class Progress:
    """Rows read, bytes read of the total (when known) and rows per second, drawn on ``stream``."""

    def __init__(
        self,
        stream: TextIO,
        mode: ProgressMode,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float | None = None,
    ) -> None:
        self.stream = stream
        self.mode: ProgressMode = mode
        self._clock = clock
        self._interval = interval if interval is not None else (_BAR_INTERVAL if mode == "bar" else _LINE_INTERVAL)
        self._total: int | None = None
        self._bytes: Callable[[], int | None] = lambda: None
        self._start = clock()
        self._next_draw = self._start
        self._next_check = _CHECK_EVERY
        self._drawn_width = 0

    @classmethod
    def for_stream(cls, stream: TextIO, *, quiet: bool = False) -> Progress:
        """A bar when ``stream`` is a terminal, periodic lines otherwise, nothing when quiet."""
        if quiet:
            return cls(stream, "off")
        isatty = getattr(stream, "isatty", None)
        return cls(stream, "bar" if callable(isatty) and isatty() else "lines")

    def start(self, total_bytes: int | None, bytes_read: Callable[[], int | None]) -> None:
        """Begin timing; ``bytes_read`` is asked only when a line is drawn."""
        self._total = total_bytes
        self._bytes = bytes_read
        self._start = self._clock()
        self._next_draw = self._start + self._interval
        self._next_check = _CHECK_EVERY

    def tick(self, rows: int) -> None:
        """Called after each row; draws at most once per interval."""
        if rows < self._next_check or self.mode == "off":
            return
        self._next_check = rows + _CHECK_EVERY
        now = self._clock()
        if now >= self._next_draw:
            self._next_draw = now + self._interval
            self._draw(rows, now)

    def finish(self, rows: int) -> None:
        """Draw the final state; a bar ends its line so the report starts on a fresh one."""
        if self.mode == "bar":
            self._draw(rows, self._clock())
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, rows: int, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        done = self._bytes()
        fraction = min(done / self._total, 1.0) if done is not None and self._total else None
        amount = _size(done) if done is not None else ""
        if amount and self._total is not None:
            amount = f"{amount} of {_size(self._total)}"
        rate = f"{rows / elapsed:,.0f} rows/s"
        if self.mode == "bar":
            text = self._bar_text(rows, fraction, amount, rate)
            pad = " " * max(self._drawn_width - len(text), 0)
            self._drawn_width = len(text)
            self.stream.write(f"\r{text}{pad}")
        else:
            percent = f" ({fraction:.0%})" if fraction is not None else ""
            read = f", {amount}{percent}" if amount else ""
            self.stream.write(f"leadloop hash: {rows:,} rows{read}, {rate}\n")
        self.stream.flush()

    def _bar_text(self, rows: int, fraction: float | None, amount: str, rate: str) -> str:
        tail = "  ".join(part for part in (f"{rows:,} rows", amount, rate) if part)
        if fraction is None:
            return tail
        columns = shutil.get_terminal_size((80, 24)).columns
        width = max(min(columns - len(tail) - 9, 40), 10)
        filled = round(width * fraction)
        return f"{fraction:4.0%} [{'#' * filled}{'-' * (width - filled)}] {tail}"


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")

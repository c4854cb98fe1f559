"""The stack's single log file: every function's output and the stack's own notes, one tag per line.

Every line is ``[Tag] text`` where Tag is a function's logical id (its handler's Powertools JSON lines
follow unchanged), an API's logical id (access lines) or ``devstack``. One file means one ``tail -f``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["MARKER", "LogSink"]

MARKER = "\x1eleadloop-devstack-end "


class LogSink:
    """Thread-safe line writer; ``pump`` copies a child's output into it from a daemon thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] | None = path.open("w", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, tag: str, text: str) -> None:
        with self._lock:
            if self._file is None:
                return
            for line in text.splitlines() or [""]:
                self._file.write(f"[{tag}] {line}\n")
            self._file.flush()

    def pump(self, tag: str, stream: IO[bytes], on_marker: Callable[[str], None] | None = None) -> threading.Thread:
        """Copy ``stream`` (a child's stdout) line by line until EOF.

        Lines starting with :data:`MARKER` are not logged: they are passed to ``on_marker`` (the
        runtime uses them to know a request's output has all been written, to keep END after it).
        """

        def run() -> None:
            with stream:
                for raw in stream:
                    line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                    if line.startswith(MARKER):
                        if on_marker is not None:
                            on_marker(line[len(MARKER) :])
                        continue
                    self.write(tag, line)

        thread = threading.Thread(target=run, name=f"log-{tag}", daemon=True)
        thread.start()
        return thread

    def logging_handler(self, tag: str = "devstack") -> logging.Handler:
        sink = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                try:
                    sink.write(tag, f"{record.levelname} {record.name}: {record.getMessage()}")
                except Exception:  # pragma: no cover - logging must never raise
                    self.handleError(record)

        return _Handler(level=logging.INFO)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

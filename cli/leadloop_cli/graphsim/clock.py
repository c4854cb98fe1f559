"""Virtual clock: Meta-side time that tests can move without sleeping.

By default it ticks with real time (so leads created a second apart get different
``created_time``); ``advance`` adds an offset and ``freeze`` stops the ticking so a
test can reason about exact instants.
"""

from __future__ import annotations

import threading
import time


class VirtualClock:
    """Unix time seen by the simulator: real time + offset, optionally frozen."""

    def __init__(self, start: float | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        base = time.time() if start is None else float(start)
        self._offset = base - time.monotonic()
        self._frozen_at: float | None = base if frozen else None

    def time(self) -> float:
        """Current virtual time in (fractional) unix seconds."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.monotonic() + self._offset

    def now(self) -> int:
        """Current virtual time in whole unix seconds."""
        return int(self.time())

    def advance(self, seconds: float) -> int:
        """Move the clock forward (or back, for negative values); returns the new ``now``."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
        return self.now()

    def set(self, unix: float) -> int:
        """Jump to an absolute instant, keeping the frozen/ticking mode."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = float(unix)
            else:
                self._offset = float(unix) - time.monotonic()
        return self.now()

    def freeze(self, frozen: bool) -> None:
        """Stop (``True``) or resume (``False``) the ticking at the current instant."""
        current = self.time()
        with self._lock:
            if frozen:
                self._frozen_at = current
            else:
                self._frozen_at = None
                self._offset = current - time.monotonic()

    @property
    def frozen(self) -> bool:
        """Whether the clock currently stands still."""
        with self._lock:
            return self._frozen_at is not None

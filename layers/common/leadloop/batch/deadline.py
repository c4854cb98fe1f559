"""How long an invocation has left, read from the Lambda context.

A context that cannot say (a test calling a consumer with a bare object) gets a stated default,
so a consumer never fails just because it was called outside Lambda.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

#: Seconds assumed left when the context cannot say.
ASSUMED_SECONDS_LEFT: Final = 60.0


def seconds_left(context: object) -> float | None:
    """Seconds before Lambda stops the invocation, or None when the context cannot say."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    return float(remaining_ms()) / 1000 if callable(remaining_ms) else None


def time_left(context: object, *, assumed: float = ASSUMED_SECONDS_LEFT) -> Callable[[], float]:
    """A reader of the seconds left, for work that checks its time as it goes."""

    def read() -> float:
        left = seconds_left(context)
        return assumed if left is None else left

    return read


def deadline(context: object, *, now: float, margin: float) -> float | None:
    """The clock time at which work must stop to keep ``margin`` seconds for settling the batch.

    None when the context cannot say: the work then runs without a deadline.
    """
    left = seconds_left(context)
    return None if left is None else now + max(0.0, left - margin)

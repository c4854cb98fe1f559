"""``--since``/``--until`` as epoch seconds for the ``created_time`` range key.

A bare date (``2026-11-01``) is midnight UTC, the zone Meta's ``created_time`` is in; a time
must carry its offset (``2026-11-01T09:00:00+02:00`` or ``...Z``), because guessing the
operator's zone would silently shift the window by hours. ``since`` is inclusive and ``until``
exclusive, so ``--since 2026-11-01 --until 2026-11-02`` is exactly that day.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from leadloop_cli.leadsexport.errors import ExportError

__all__ = ["Window", "parse_instant", "parse_window"]

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class Window:
    """Leads with ``since <= created_time < until`` (either bound may be open)."""

    since: int | None = None
    until: int | None = None

    def key_condition(self) -> tuple[str, dict[str, int]]:
        """The range part of a KeyConditionExpression on ``#t`` (created_time) and its values."""
        if self.since is not None and self.until is not None:
            # created_time is whole seconds: ``< until`` is ``<= until - 1``, and BETWEEN is inclusive.
            return "#t BETWEEN :since AND :last", {":since": self.since, ":last": self.until - 1}
        if self.since is not None:
            return "#t >= :since", {":since": self.since}
        if self.until is not None:
            return "#t < :until", {":until": self.until}
        return "", {}


def parse_instant(text: str, *, option: str) -> int:
    """Epoch seconds for a date or an ISO 8601 time with offset (fractions round up: whole seconds compare)."""
    value = text.strip()
    try:
        if _DATE.match(value):
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise ExportError(
            f"{option} {text!r} is neither a date (YYYY-MM-DD) nor an ISO 8601 time with an offset"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ExportError(f"{option} {text!r} has no UTC offset: add one (e.g. Z or +02:00), or give a date")
    return math.ceil(moment.timestamp())


def parse_window(since: str | None, until: str | None) -> Window:
    start = parse_instant(since, option="--since") if since else None
    end = parse_instant(until, option="--until") if until else None
    if start is not None and end is not None and start >= end:
        raise ExportError("--since must be before --until (--since is inclusive, --until exclusive)")
    return Window(start, end)

"""Waiting for the test lead in LeadsTable: ``FETCHED``, and announced by its webhook.

An item records how it came: ``source`` is the path that first wrote it (``webhook`` or
``backfill``) and ``notifications`` counts the webhook deliveries seen for it. A lead the backfill
stored while no webhook ever came does not pass: the webhook is what this smoke proves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

FETCHED = "FETCHED"

Item = Mapping[str, Any]


def webhook_seen(item: Item | None) -> bool:
    """Whether at least one webhook delivery announced the lead."""
    return item is not None and int(item.get("notifications") or 0) > 0


def stored_via_webhook(item: Item | None) -> bool:
    """FETCHED, and its webhook arrived (first, or after the backfill stored it)."""
    return item is not None and item.get("status") == FETCHED and webhook_seen(item)


@dataclass(frozen=True)
class Capture:
    """The last state seen, and when (on the caller's clock) the lead was seen stored by webhook."""

    item: Item | None
    stored_at: float | None = None

    @property
    def passed(self) -> bool:
        return self.stored_at is not None

    @property
    def origin(self) -> str | None:
        """The path that first stored it (``webhook``/``backfill``), when it is stored."""
        if self.item is None or self.item.get("status") != FETCHED:
            return None
        return str(self.item.get("source") or "") or None


def wait_for_capture(
    read: Callable[[], Item | None],
    *,
    deadline: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll_seconds: float,
) -> Capture:
    """Poll ``read`` until the lead is stored via its webhook or ``deadline`` passes."""
    while True:
        item = read()
        now = clock()
        if stored_via_webhook(item):
            return Capture(item, now)
        if now >= deadline:
            return Capture(item)
        sleep(max(0.0, min(poll_seconds, deadline - now)))

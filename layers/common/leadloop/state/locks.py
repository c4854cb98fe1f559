"""Reading the audience lock (``keys.audience_lock``, held until ``expires_at``) for the uploader.

The replace state machine holds the lock while it swaps an audience's members
(:mod:`leadloop.state.replace_records` takes and releases it); uploading to the audience meanwhile
would be overwritten by the replace, so the uploader waits for the lock to end.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.state import keys
from leadloop.state.codec import from_item
from leadloop.state.errors import StateError

_BATCH_GET = 100
_ROUNDS = 5


class AudienceLocks:
    def __init__(self, client: Any, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def held_until(self, audience_ids: Iterable[str], now: int) -> dict[str, int]:
        """Audience id → lock expiry (epoch seconds) for every audience locked at ``now``.

        ``StateError`` when the locks cannot be read: the caller must not assume the audiences are free.
        """
        ids = sorted(set(audience_ids))
        held: dict[str, int] = {}
        for start in range(0, len(ids), _BATCH_GET):
            batch = [keys.audience_lock(i).item_key() for i in ids[start : start + _BATCH_GET]]
            for item in map(from_item, self._get(batch)):
                expires = item.get("expires_at")
                if isinstance(expires, Decimal) and int(expires) > now:  # a number, as the replace writes it
                    held[keys.audience_of(item["pk"])] = int(expires)
        return held

    def _get(self, item_keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {self._table: {"Keys": item_keys, "ConsistentRead": True}}
        items: list[dict[str, Any]] = []
        for _ in range(_ROUNDS):
            try:
                answer = self._ddb.batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as exc:
                raise StateError(f"reading audience locks failed: {type(exc).__name__}") from None
            items += answer.get("Responses", {}).get(self._table, [])
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return items
        raise StateError("reading audience locks failed: keys left unprocessed")

"""StateTable adapter for the replace lock (``audience#{id}`` / ``lock``, held until ``expires_at``).

The replace state machine writes the lock while it swaps an audience's members; uploading to the
audience meanwhile would be overwritten by the replace, so the uploader waits for the lock to end.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

_BATCH_GET = 100


class LockReadError(RuntimeError):
    """The locks could not be read; the caller must not assume the audiences are free."""


class AudienceLocks:
    def __init__(self, client: Any, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def held_until(self, audience_ids: Iterable[str], now: int) -> dict[str, int]:
        """Audience id → lock expiry (epoch seconds) for every audience locked at ``now``."""
        ids = sorted(set(audience_ids))
        held: dict[str, int] = {}
        for start in range(0, len(ids), _BATCH_GET):
            keys = [{"pk": {"S": f"audience#{i}"}, "sk": {"S": "lock"}} for i in ids[start : start + _BATCH_GET]]
            for item in self._get(keys):
                expires = item.get("expires_at", {}).get("N")
                audience = item["pk"]["S"].removeprefix("audience#")
                if expires is not None and int(float(expires)) > now:
                    held[audience] = int(float(expires))
        return held

    def _get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
        items: list[dict[str, Any]] = []
        for _ in range(5):
            try:
                answer = self._ddb.batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as exc:
                raise LockReadError(f"reading audience locks failed: {type(exc).__name__}") from None
            items += answer.get("Responses", {}).get(self._table, [])
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return items
        raise LockReadError("reading audience locks failed: keys left unprocessed")

"""StateTable records of the backfill: form watermarks, per-Page lead-read counters and backoffs.

Keys in :mod:`leadloop.state.keys`; small bookkeeping records, no PII.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.state import keys
from leadloop.state.codec import from_item, to_item, to_value
from leadloop.state.errors import StateError, error_code, is_condition_failure

_DAY = 86400


class StateStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def watermark(self, form_id: str) -> int | None:
        item = self._get(keys.form_watermark(form_id))
        return int(item["value"]) if item else None

    def advance_watermark(self, form_id: str, value: int) -> None:
        """Move the watermark forward only (never back, whatever order runs finish in)."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=keys.form_watermark(form_id).item_key(),
                UpdateExpression="SET #v = :v, updated_at = :now",
                ConditionExpression="attribute_not_exists(#v) OR #v < :v",
                ExpressionAttributeNames={"#v": "value"},
                ExpressionAttributeValues={":v": to_value(value), ":now": to_value(int(time.time()))},
            )
        except (ClientError, BotoCoreError) as exc:
            if is_condition_failure(exc):
                return
            raise StateError(f"advancing a watermark failed: {error_code(exc)}") from None

    def leadgen_calls(self, page_id: str, now: int) -> int:
        item = self._get(keys.leadgen_calls(page_id, now))
        return int(item["calls"]) if item else 0

    def add_leadgen_calls(self, page_id: str, now: int, calls: int) -> int:
        try:
            answer = self._ddb.update_item(
                TableName=self._table,
                Key=keys.leadgen_calls(page_id, now).item_key(),
                UpdateExpression="ADD calls :n SET expires_at = :exp",
                ExpressionAttributeValues={":n": to_value(calls), ":exp": to_value(now + 2 * _DAY)},
                ReturnValues="UPDATED_NEW",
            )
        except (ClientError, BotoCoreError) as exc:
            raise StateError(f"counting lead reads failed: {type(exc).__name__}") from None
        return int(from_item(answer["Attributes"])["calls"])

    def backoff_until(self, page_id: str) -> int:
        item = self._get(keys.page_backoff(page_id))
        return int(item["until"]) if item else 0

    def set_backoff(self, page_id: str, until: int, reason: str) -> None:
        record = {"until": until, "reason": reason[:300], "expires_at": until + _DAY}
        fields = keys.page_backoff(page_id).fields() | record
        try:
            self._ddb.put_item(TableName=self._table, Item=to_item(fields))
        except (ClientError, BotoCoreError) as exc:
            raise StateError(f"recording a backoff failed: {type(exc).__name__}") from None

    def _get(self, key: keys.StateKey) -> dict[str, Any] | None:
        try:
            answer = self._ddb.get_item(TableName=self._table, Key=key.item_key(), ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise StateError(f"reading state failed: {type(exc).__name__}") from None
        item = answer.get("Item")
        return from_item(item) if item else None

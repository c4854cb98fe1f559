"""StateTable adapter. Items are small bookkeeping records keyed ``pk``/``sk``; no PII.

* ``form#{id}`` / ``watermark``: backfill has read every lead created before ``value``.
* ``page#{id}`` / ``leadgen-calls#{day}``: lead reads spent on the Page that UTC day.
* ``page#{id}`` / ``backoff``: do not read the Page's leads before ``until`` (Meta throttled us).
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.leads.store import StoreError

_DAY = 86400


class StateStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def watermark(self, form_id: str) -> int | None:
        item = self._get(f"form#{form_id}", "watermark")
        return int(item["value"]["N"]) if item else None

    def advance_watermark(self, form_id: str, value: int) -> None:
        """Move the watermark forward only (never back, whatever order runs finish in)."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(f"form#{form_id}", "watermark"),
                UpdateExpression="SET #v = :v, updated_at = :now",
                ConditionExpression="attribute_not_exists(#v) OR #v < :v",
                ExpressionAttributeNames={"#v": "value"},
                ExpressionAttributeValues={":v": {"N": str(value)}, ":now": {"N": str(int(time.time()))}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return
            raise StoreError(f"advancing a watermark failed: {exc.response.get('Error', {}).get('Code')}") from None
        except BotoCoreError as exc:
            raise StoreError(f"advancing a watermark failed: {type(exc).__name__}") from None

    def leadgen_calls(self, page_id: str, now: int) -> int:
        item = self._get(f"page#{page_id}", f"leadgen-calls#{_day(now)}")
        return int(item["calls"]["N"]) if item else 0

    def add_leadgen_calls(self, page_id: str, now: int, calls: int) -> int:
        try:
            answer = self._ddb.update_item(
                TableName=self._table,
                Key=_key(f"page#{page_id}", f"leadgen-calls#{_day(now)}"),
                UpdateExpression="ADD calls :n SET expires_at = :exp",
                ExpressionAttributeValues={":n": {"N": str(calls)}, ":exp": {"N": str(now + 2 * _DAY)}},
                ReturnValues="UPDATED_NEW",
            )
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"counting lead reads failed: {type(exc).__name__}") from None
        return int(answer["Attributes"]["calls"]["N"])

    def backoff_until(self, page_id: str) -> int:
        item = self._get(f"page#{page_id}", "backoff")
        return int(item["until"]["N"]) if item else 0

    def set_backoff(self, page_id: str, until: int, reason: str) -> None:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=_key(f"page#{page_id}", "backoff")
                | {
                    "until": {"N": str(until)},
                    "reason": {"S": reason[:300]},
                    "expires_at": {"N": str(until + _DAY)},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"recording a backoff failed: {type(exc).__name__}") from None

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            answer = self._ddb.get_item(TableName=self._table, Key=_key(pk, sk), ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"reading state failed: {type(exc).__name__}") from None
        item = answer.get("Item")
        return dict(item) if item else None


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _day(now: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now))

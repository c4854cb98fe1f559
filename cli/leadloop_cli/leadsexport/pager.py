"""A form's stored leads, oldest first, one page at a time: the index for keys, the table for answers.

``ByFormCreated`` (hash ``form_id``, range ``created_time``) projects only ``status``, ``page_id``
and ``source``: the answers are not in the index, so each query page (at most ``page_size`` keys of
``FETCHED`` leads) is followed by one ``BatchGetItem`` of those keys (DynamoDB takes up to 100). At
most one page of items is held at a time, so memory does not grow with the form.

``BatchGetItem`` may return some keys as ``UnprocessedKeys`` (throughput, 16 MB answer limit): they
are asked for again after an exponential backoff with jitter, as AWS advises, and the run fails only
after ``max_retries`` rounds in a row that returned nothing. Throttling errors get the same backoff,
because the CLI's clients make a single attempt. Items come back in any order and are put back in
index order; one that is gone or no longer ``FETCHED`` (forgotten since the query) is skipped.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from leadloop_cli.leadsexport.dates import Window
from leadloop_cli.leadsexport.errors import ExportError

__all__ = ["BATCH_GET_MAX", "INDEX_NAME", "LeadPager"]

INDEX_NAME = "ByFormCreated"
BATCH_GET_MAX = 100
FETCHED = "FETCHED"
_THROTTLED = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)
_deserializer = TypeDeserializer()

Item = dict[str, Any]


class LeadPager:
    def __init__(
        self,
        client: Any,
        table: str,
        *,
        page_size: int = BATCH_GET_MAX,
        max_retries: int = 8,
        base_delay: float = 0.05,
        max_delay: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float], float] = lambda cap: random.uniform(cap / 2, cap),
    ) -> None:
        if not 1 <= page_size <= BATCH_GET_MAX:
            raise ValueError(f"page_size must be 1..{BATCH_GET_MAX}")
        self._ddb = client
        self._table = table
        self._page_size = page_size
        self._max_retries = max_retries
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._jitter = jitter
        self.batch_gets = 0
        self.retries = 0

    def leads(self, form_id: str, window: Window, *, attributes: Sequence[str] | None = None) -> Iterator[Item]:
        """Every ``FETCHED`` lead of the form in the window, oldest first (``attributes``: only those)."""
        for keys in self.key_pages(form_id, window):
            yield from self._get(keys, attributes)

    def key_pages(self, form_id: str, window: Window) -> Iterator[list[str]]:
        """Lead ids of ``FETCHED`` leads, one query page at a time, in ``created_time`` order."""
        range_condition, range_values = window.key_condition()
        names = {"#f": "form_id", "#s": "status"} | ({"#t": "created_time"} if range_condition else {})
        values: dict[str, Any] = {":f": {"S": form_id}, ":fetched": {"S": FETCHED}}
        values |= {k: {"N": str(v)} for k, v in range_values.items()}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX_NAME,
            "KeyConditionExpression": "#f = :f" + (f" AND {range_condition}" if range_condition else ""),
            "FilterExpression": "#s = :fetched",
            "ProjectionExpression": "leadgen_id",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "Limit": self._page_size,
        }
        while True:
            answer = self._call("query", kwargs, what=f"querying the leads of form {form_id}")
            keys = [str(item["leadgen_id"]["S"]) for item in answer.get("Items", [])]
            if keys:
                yield keys
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _get(self, lead_ids: Sequence[str], attributes: Sequence[str] | None) -> Iterator[Item]:
        found: dict[str, Item] = {}
        for start in range(0, len(lead_ids), BATCH_GET_MAX):
            found |= self._batch_get(lead_ids[start : start + BATCH_GET_MAX], attributes)
        for lead_id in lead_ids:
            item = found.get(lead_id)
            if item is not None and item.get("status") == FETCHED:
                yield item

    def _batch_get(self, lead_ids: Sequence[str], attributes: Sequence[str] | None) -> dict[str, Item]:
        request: dict[str, Any] = {"Keys": [{"leadgen_id": {"S": i}} for i in dict.fromkeys(lead_ids)]}
        if attributes is not None:
            wanted = dict.fromkeys(("leadgen_id", "status", *attributes))
            names = {f"#a{n}": name for n, name in enumerate(wanted)}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        found: dict[str, Item] = {}
        pending: Mapping[str, Any] = {self._table: request}
        idle_rounds = 0
        while pending:
            answer = self._call("batch_get_item", {"RequestItems": pending}, what="reading leads")
            self.batch_gets += 1
            items = answer.get("Responses", {}).get(self._table, [])
            for raw in items:
                item = {k: _deserializer.deserialize(v) for k, v in raw.items()}
                found[str(item["leadgen_id"])] = item
            pending = answer.get("UnprocessedKeys") or {}
            if not pending:
                break
            idle_rounds = 0 if items else idle_rounds + 1
            if idle_rounds > self._max_retries:
                left = len(pending.get(self._table, {}).get("Keys", []))
                raise ExportError(
                    f"reading leads: DynamoDB left {left} key(s) unprocessed {idle_rounds} times in a row; try later"
                )
            self._backoff(idle_rounds)
        return found

    def _call(self, operation: str, kwargs: Mapping[str, Any], *, what: str) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                return dict(getattr(self._ddb, operation)(**kwargs))
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code") or "ClientError")
                if code not in _THROTTLED or attempt >= self._max_retries:
                    raise ExportError(f"{what} failed: {code}") from None
            except BotoCoreError as exc:
                raise ExportError(f"{what} failed: {type(exc).__name__}") from None
            attempt += 1
            self._backoff(attempt)

    def _backoff(self, attempt: int) -> None:
        self.retries += 1
        cap = min(self._max_delay, self._base_delay * 2 ** max(attempt - 1, 0))
        self._sleep(self._jitter(cap))

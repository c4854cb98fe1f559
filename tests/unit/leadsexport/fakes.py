"""A scripted LeadsTable for the pager: index pages, BatchGetItem with UnprocessedKeys, throttling."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

_serializer = TypeSerializer()
TABLE = "LeadsTable"


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "simulated"}}, "Operation")


class FakeLeadsTable:
    """Items by id; ``index`` is the ByFormCreated order of (id, status) the query pages through.

    ``unprocessed(request_keys, call_number) -> ids to hold back`` scripts UnprocessedKeys;
    ``query_errors`` / ``get_errors`` are raised (first in, first out) before answering.
    """

    def __init__(self, items: list[dict[str, Any]], *, seed: int = 7) -> None:
        self.items = {str(i["leadgen_id"]): i for i in items}
        self.index = sorted(items, key=lambda i: (int(i["created_time"]), str(i["leadgen_id"])))
        self.unprocessed: Callable[[list[str], int], list[str]] = lambda keys, n: []
        self.query_errors: list[ClientError] = []
        self.get_errors: list[ClientError] = []
        self.queries: list[dict[str, Any]] = []
        self.gets: list[dict[str, Any]] = []
        self._random = random.Random(seed)

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.queries.append(kwargs)
        if self.query_errors:
            raise self.query_errors.pop(0)
        start = 0
        if "ExclusiveStartKey" in kwargs:
            start = int(kwargs["ExclusiveStartKey"]["position"]["N"])
        limit = int(kwargs["Limit"])
        page = self.index[start : start + limit]  # Limit counts items read, before the filter
        answer: dict[str, Any] = {
            "Items": [{"leadgen_id": {"S": str(i["leadgen_id"])}} for i in page if i["status"] == "FETCHED"]
        }
        if start + limit < len(self.index):
            answer["LastEvaluatedKey"] = {"position": {"N": str(start + limit)}}
        return answer

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.gets.append(RequestItems)
        if self.get_errors:
            raise self.get_errors.pop(0)
        request = RequestItems[TABLE]
        keys = [k["leadgen_id"]["S"] for k in request["Keys"]]
        assert len(keys) <= 100, "BatchGetItem takes at most 100 keys"
        held = set(self.unprocessed(keys, len(self.gets)))
        wanted = request.get("ProjectionExpression")
        names = request.get("ExpressionAttributeNames", {})
        found = []
        for key in keys:
            if key in held or key not in self.items:
                continue
            item = self.items[key]
            if wanted:
                attributes = {names[n.strip()] for n in wanted.split(",")}
                item = {k: v for k, v in item.items() if k in attributes}
            found.append({k: _serializer.serialize(v) for k, v in item.items()})
        self._random.shuffle(found)  # BatchGetItem answers in no particular order
        answer: dict[str, Any] = {"Responses": {TABLE: found}}
        if held:
            answer["UnprocessedKeys"] = {
                TABLE: request | {"Keys": [{"leadgen_id": {"S": k}} for k in keys if k in held]}
            }
        return answer


def stored(lead_id: int, created: int, *, status: str = "FETCHED", email: str | None = None) -> dict[str, Any]:
    return {
        "leadgen_id": str(lead_id),
        "status": status,
        "form_id": "205",
        "created_time": created,
        "field_data": [{"name": "email", "values": [email or f"p{lead_id}@example.com"]}],
        "custom_disclaimer_responses": [],
    }

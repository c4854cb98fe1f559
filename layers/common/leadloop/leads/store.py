"""LeadsTable adapter: the only place raw lead answers are written (DESIGN rule 6).

Every write is keyed on ``leadgen_id`` and conditional, so Meta's redeliveries, SQS redelivery
and overlapping backfills are harmless:

* a notification creates a ``PENDING`` stub, or leaves an existing item as it is
  (``if_not_exists`` on every field), so a ``FETCHED`` lead is never replaced by a stub;
* a fetched lead is written only while the item is not ``FETCHED`` yet, so it lands once
  (one stream event downstream) whichever path (webhook, retry, backfill) gets there first;
* a forgotten person's lead becomes a ``FORGOTTEN`` tombstone (id and dates, no answers) that no
  later webhook, retry or backfill can turn back into a stored lead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from leadloop.leads.models import GraphLead, LeadNotification, LeadStatus

DAY_SECONDS = 86400
_BATCH_GET_MAX = 100
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class LeadOrigin(StrEnum):
    """How a lead reached LeadsTable (stored as its ``source`` attribute, sent as events' ``origin``)."""

    WEBHOOK = "webhook"
    BACKFILL = "backfill"


class StoreError(RuntimeError):
    """DynamoDB refused or failed a write; the caller must not acknowledge the work."""


@dataclass(frozen=True)
class RecordedNotification:
    leadgen_id: str
    status: LeadStatus


class LeadStore:
    def __init__(self, client: Any, table_name: str, *, retention_days: int, parallel_writes: int = 8) -> None:
        self._ddb = client
        self._table = table_name
        self._retention = retention_days * DAY_SECONDS
        self._parallel = parallel_writes

    # ------------------------------------------------------------------ writes
    def record_notifications(self, notes: Sequence[LeadNotification], *, now: int) -> list[RecordedNotification]:
        """Durably note every announced lead; returns each lead's status after the write."""
        if len(notes) <= 1:
            return [self._record(note, now) for note in notes]
        with ThreadPoolExecutor(max_workers=min(self._parallel, len(notes))) as pool:
            return list(pool.map(lambda note: self._record(note, now), notes))

    def _record(self, note: LeadNotification, now: int) -> RecordedNotification:
        created = note.created_time if note.created_time is not None else now
        values: dict[str, Any] = {
            "status": LeadStatus.PENDING.value,
            "first_seen_at": now,
            "source": LeadOrigin.WEBHOOK.value,
            "expires_at": created + self._retention,
            "created_time": created,
            "page_id": note.page_id,
            "form_id": note.form_id,
            "ad_id": note.ad_id,
        }
        sets = [f"#{k} = if_not_exists(#{k}, :{k})" for k, v in values.items() if v is not None]
        sets.append("#notified_at = :notified_at")
        response = self._update(
            note.leadgen_id,
            update=f"SET {', '.join(sets)} ADD #notifications :one",
            names={f"#{k}": k for k, v in values.items() if v is not None}
            | {"#notified_at": "notified_at", "#notifications": "notifications"},
            values={f":{k}": v for k, v in values.items() if v is not None} | {":notified_at": now, ":one": 1},
            return_values="ALL_NEW",
        )
        status = _deserializer.deserialize(response["Attributes"]["status"])
        return RecordedNotification(note.leadgen_id, LeadStatus(status))

    def save_fetched(self, lead: GraphLead, *, source: LeadOrigin, now: int, page_id: str | None = None) -> bool:
        """Store the full lead unless it is already stored; True when this call stored it."""
        values: dict[str, Any] = {
            "status": LeadStatus.FETCHED.value,
            "fetched_at": now,
            "created_time": lead.created_epoch,
            "created_time_iso": lead.created_time.isoformat(),
            "expires_at": lead.created_epoch + self._retention,
            "form_id": lead.form_id,
            "ad_id": lead.ad_id,
            "ad_name": lead.ad_name,
            "adset_id": lead.adset_id,
            "adset_name": lead.adset_name,
            "campaign_id": lead.campaign_id,
            "campaign_name": lead.campaign_name,
            "field_data": [a.model_dump() for a in lead.field_data],
            "custom_disclaimer_responses": [d.model_dump() for d in lead.custom_disclaimer_responses],
            "is_organic": lead.is_organic,
            "platform": lead.platform,
            "partner_name": lead.partner_name,
        }
        present = {k: v for k, v in values.items() if v is not None}
        first_only = {"source": source.value, "first_seen_at": now}
        if page_id:
            first_only["page_id"] = page_id
        sets = [f"#{k} = :{k}" for k in present] + [f"#{k} = if_not_exists(#{k}, :{k})" for k in first_only]
        sets.append("#fetch_attempts = if_not_exists(#fetch_attempts, :zero) + :one")
        try:
            self._update(
                lead.id,
                update=f"SET {', '.join(sets)} REMOVE #last_error",
                names={f"#{k}": k for k in (*present, *first_only, "fetch_attempts", "last_error")},
                values={f":{k}": v for k, v in (present | first_only).items()} | {":zero": 0, ":one": 1},
                condition="attribute_not_exists(leadgen_id) OR NOT (#status IN (:fetched, :forgotten))",
                extra_values={":fetched": LeadStatus.FETCHED.value, ":forgotten": LeadStatus.FORGOTTEN.value},
            )
        except _ConditionFailed:
            return False
        return True

    def forget(self, leadgen_id: str, *, now: int) -> None:
        """Replace the lead with a tombstone: the answers are gone and cannot come back."""
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item={
                    "leadgen_id": {"S": leadgen_id},
                    "status": {"S": LeadStatus.FORGOTTEN.value},
                    "forgotten_at": {"N": str(now)},
                    "expires_at": {"N": str(now + self._retention)},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"forgetting lead {leadgen_id} failed: {_error_code(exc)}") from None

    def scan_fetched(self) -> Iterable[dict[str, Any]]:
        """Every stored lead with its answers (operator tools only: a full table read)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "#s = :fetched",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":fetched": {"S": LeadStatus.FETCHED.value}},
        }
        while True:
            try:
                answer = self._ddb.scan(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise StoreError(f"scanning leads failed: {_error_code(exc)}") from None
            for item in answer.get("Items", []):
                yield {k: _deserializer.deserialize(v) for k, v in item.items()}
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def note_fetch_failure(self, leadgen_id: str, reason: str, *, failed: bool, now: int) -> None:
        """Count a failed attempt (and mark the lead FAILED when it is parked in the DLQ)."""
        sets = ["#last_error = :reason", "#last_error_at = :now"]
        values: dict[str, Any] = {":reason": reason[:500], ":now": now}
        names = {"#last_error": "last_error", "#last_error_at": "last_error_at", "#status": "status"}
        if failed:
            sets.append("#status = :failed")
            values[":failed"] = LeadStatus.FAILED.value
        try:
            self._update(
                leadgen_id,
                update=f"SET {', '.join(sets)} ADD #fetch_attempts :one",
                names=names | {"#fetch_attempts": "fetch_attempts"},
                values=values | {":one": 1},
                condition="attribute_exists(leadgen_id) AND NOT (#status IN (:fetched, :forgotten))",
                extra_values={":fetched": LeadStatus.FETCHED.value, ":forgotten": LeadStatus.FORGOTTEN.value},
            )
        except _ConditionFailed:
            return

    # ------------------------------------------------------------------ reads
    def statuses(self, leadgen_ids: Iterable[str]) -> dict[str, LeadStatus]:
        """Current status of each id that exists (missing ids are absent from the answer)."""
        ids = list(dict.fromkeys(leadgen_ids))
        found: dict[str, LeadStatus] = {}
        for start in range(0, len(ids), _BATCH_GET_MAX):
            keys = [{"leadgen_id": {"S": i}} for i in ids[start : start + _BATCH_GET_MAX]]
            request: dict[str, Any] = {
                self._table: {
                    "Keys": keys,
                    "ProjectionExpression": "leadgen_id, #s",
                    "ExpressionAttributeNames": {"#s": "status"},
                }
            }
            while request:
                try:
                    answer = self._ddb.batch_get_item(RequestItems=request)
                except (ClientError, BotoCoreError) as exc:
                    raise StoreError(f"reading lead statuses failed: {_error_code(exc)}") from None
                for item in answer.get("Responses", {}).get(self._table, []):
                    found[item["leadgen_id"]["S"]] = LeadStatus(item["status"]["S"])
                request = answer.get("UnprocessedKeys") or {}
        return found

    def get(self, leadgen_id: str) -> dict[str, Any] | None:
        try:
            answer = self._ddb.get_item(
                TableName=self._table, Key={"leadgen_id": {"S": leadgen_id}}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"reading a lead failed: {_error_code(exc)}") from None
        item = answer.get("Item")
        return {k: _deserializer.deserialize(v) for k, v in item.items()} if item else None

    def count_created_since(self, form_id: str, since: int) -> int:
        """Leads of a form created at or after ``since`` (GSI ``ByFormCreated``)."""
        total = 0
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByFormCreated",
            "KeyConditionExpression": "form_id = :f AND created_time >= :t",
            "ExpressionAttributeValues": {":f": {"S": form_id}, ":t": {"N": str(since)}},
            "Select": "COUNT",
        }
        while True:
            try:
                answer = self._ddb.query(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise StoreError(f"counting leads failed: {_error_code(exc)}") from None
            total += int(answer.get("Count", 0))
            if "LastEvaluatedKey" not in answer:
                return total
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def latest_lead_id(self, form_id: str) -> str | None:
        """The form's most recently created lead we hold (GSI ``ByFormCreated``), if any."""
        try:
            answer = self._ddb.query(
                TableName=self._table,
                IndexName="ByFormCreated",
                KeyConditionExpression="form_id = :f",
                ExpressionAttributeValues={":f": {"S": form_id}},
                ScanIndexForward=False,
                Limit=1,
            )
        except (ClientError, BotoCoreError) as exc:
            raise StoreError(f"reading the latest lead failed: {_error_code(exc)}") from None
        items = answer.get("Items", [])
        return str(items[0]["leadgen_id"]["S"]) if items else None

    def sources_since(self, form_id: str, since: int) -> dict[str, int]:
        """How a form's leads created at or after ``since`` first reached us: webhook / backfill counts."""
        counts: dict[str, int] = {}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByFormCreated",
            "KeyConditionExpression": "form_id = :f AND created_time >= :t",
            "ExpressionAttributeValues": {":f": {"S": form_id}, ":t": {"N": str(since)}},
            "ProjectionExpression": "#src",
            "ExpressionAttributeNames": {"#src": "source"},
        }
        while True:
            try:
                answer = self._ddb.query(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise StoreError(f"reading lead sources failed: {_error_code(exc)}") from None
            for item in answer.get("Items", []):
                source = item.get("source", {}).get("S", "unknown")
                counts[source] = counts.get(source, 0) + 1
            if "LastEvaluatedKey" not in answer:
                return counts
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    # ------------------------------------------------------------------ internals
    def _update(
        self,
        leadgen_id: str,
        *,
        update: str,
        names: dict[str, str],
        values: dict[str, Any],
        condition: str | None = None,
        extra_values: dict[str, Any] | None = None,
        return_values: str = "NONE",
    ) -> dict[str, Any]:
        all_values = values | (extra_values or {})
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"leadgen_id": {"S": leadgen_id}},
            "UpdateExpression": update,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {k: _serializer.serialize(v) for k, v in all_values.items()},
            "ReturnValues": return_values,
        }
        if condition:
            kwargs["ConditionExpression"] = condition
            if "#status" in condition:
                kwargs["ExpressionAttributeNames"] = names | {"#status": "status"}
        try:
            return dict(self._ddb.update_item(**kwargs))
        except ClientError as exc:
            if _error_code(exc) == "ConditionalCheckFailedException":
                raise _ConditionFailed from None
            raise StoreError(f"writing lead {leadgen_id} failed: {_error_code(exc)}") from None
        except BotoCoreError as exc:
            raise StoreError(f"writing lead {leadgen_id} failed: {type(exc).__name__}") from None


class _ConditionFailed(Exception):
    pass


def _error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__

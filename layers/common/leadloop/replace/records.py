"""StateTable items of a replace: the audience lock, the run's progress, the outcome.

* ``audience#{id}`` / ``lock``: held by ``run_id`` until ``expires_at``; the AudienceUploader
  defers the audience's messages while it is held (leadloop.uploader.locks reads it).
* ``replace#{run_id}`` / ``run``: what must survive a crashed invocation: whether batch 1 was
  attempted, and how far the middle batches got (the ``send`` watermark).
* ``audience#{id}`` / ``replace#{started}#{run_id}`` and ``replace#latest``: the outcome, counts
  and timings only.
* ``audience#{id}`` / ``replace#scheduled``: the audience's part in the last fan-out
  (AllReplacesStateMachine, nightly or ``leadloop replace --all``): outcome, rows, seconds, error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from leadloop.replace.errors import AudienceLocked, StagingError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
RUN_TTL_SECONDS = 30 * 86400
OUTCOME_TTL_SECONDS = 400 * 86400


class ReplaceRecords:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    # ---------------------------------------------------------------- lock
    def take_lock(self, audience_id: str, run_id: str, *, until: int, now: int) -> None:
        """Hold the audience for this run (re-entrant for the same run); AudienceLocked otherwise."""
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=_item(
                    {
                        "pk": f"audience#{audience_id}",
                        "sk": "lock",
                        "run_id": run_id,
                        "expires_at": until,
                        "taken_at": now,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now OR run_id = :run",
                ExpressionAttributeValues={":now": {"N": str(now)}, ":run": {"S": run_id}},
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                holder = self._get(f"audience#{audience_id}", "lock") or {}
                raise AudienceLocked(
                    f"audience {audience_id} is locked by replace run {holder.get('run_id', '?')} "
                    f"until {holder.get('expires_at', '?')}"
                ) from None
            raise StagingError(f"taking the audience lock failed: {_code(exc)}") from None
        except BotoCoreError as exc:
            raise StagingError(f"taking the audience lock failed: {type(exc).__name__}") from None

    def lock(self, audience_id: str) -> dict[str, Any] | None:
        return self._get(f"audience#{audience_id}", "lock")

    def extend_lock(self, audience_id: str, run_id: str, *, until: int) -> None:
        self._update_if_ours(audience_id, run_id, "SET expires_at = :until", {":until": {"N": str(until)}})

    def release_lock(self, audience_id: str, run_id: str) -> bool:
        """Drop the lock if this run holds it; False when it was not ours (or already gone)."""
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key=_key(f"audience#{audience_id}", "lock"),
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues={":run": {"S": run_id}},
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return False
            raise StagingError(f"releasing the audience lock failed: {_code(exc)}") from None
        except BotoCoreError as exc:
            raise StagingError(f"releasing the audience lock failed: {type(exc).__name__}") from None
        return True

    def _update_if_ours(self, audience_id: str, run_id: str, update: str, values: dict[str, Any]) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(f"audience#{audience_id}", "lock"),
                UpdateExpression=update,
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues=values | {":run": {"S": run_id}},
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                raise AudienceLocked(f"audience {audience_id}: the lock of run {run_id} was lost") from None
            raise StagingError(f"updating the audience lock failed: {_code(exc)}") from None
        except BotoCoreError as exc:
            raise StagingError(f"updating the audience lock failed: {type(exc).__name__}") from None

    # ---------------------------------------------------------------- run progress
    def run(self, run_id: str) -> dict[str, Any]:
        return self._get(f"replace#{run_id}", "run") or {}

    def note_run(self, run_id: str, fields: Mapping[str, Any]) -> None:
        if not fields:
            return
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": _serializer.serialize(_plain(v)) for i, v in enumerate(fields.values())}
        sets = ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(f"replace#{run_id}", "run"),
                UpdateExpression=f"SET {sets}, expires_at = :exp",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values | {":exp": {"N": str(int(time.time()) + RUN_TTL_SECONDS)}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise StagingError(f"recording replace progress failed: {type(exc).__name__}") from None

    # ---------------------------------------------------------------- outcome
    def write_outcome(self, audience_id: str, run_id: str, started: int, outcome: Mapping[str, Any]) -> None:
        base = {"pk": f"audience#{audience_id}", "run_id": run_id, "expires_at": started + OUTCOME_TTL_SECONDS}
        try:
            for sk in (f"replace#{started:010d}#{run_id}", "replace#latest"):
                self._ddb.put_item(TableName=self._table, Item=_item(base | {"sk": sk} | dict(outcome)))
        except (ClientError, BotoCoreError) as exc:
            raise StagingError(f"recording the replace outcome failed: {type(exc).__name__}") from None

    def latest_outcome(self, audience_id: str) -> dict[str, Any] | None:
        return self._get(f"audience#{audience_id}", "replace#latest")

    def write_scheduled(self, audience_id: str, record: Mapping[str, Any], *, now: int) -> None:
        """The audience's outcome in the last fan-out (replaced by the next one)."""
        fields = {"pk": f"audience#{audience_id}", "sk": "replace#scheduled", "expires_at": now + OUTCOME_TTL_SECONDS}
        try:
            self._ddb.put_item(TableName=self._table, Item=_item(fields | dict(record)))
        except (ClientError, BotoCoreError) as exc:
            raise StagingError(f"recording the scheduled replace outcome failed: {type(exc).__name__}") from None

    def scheduled_outcome(self, audience_id: str) -> dict[str, Any] | None:
        return self._get(f"audience#{audience_id}", "replace#scheduled")

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            item = self._ddb.get_item(TableName=self._table, Key=_key(pk, sk), ConsistentRead=True).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise StagingError(f"reading {pk} failed: {type(exc).__name__}") from None
        return {k: _deserializer.deserialize(v) for k, v in item.items()} if item else None


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _plain(value: Any) -> Any:
    """DynamoDB numbers cannot be floats: keep whole seconds and counts as ints."""
    if isinstance(value, float):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _item(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_plain(v)) for k, v in fields.items() if v is not None}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))

"""StateTable items of a replace: the audience lock, the run's progress, the outcome.

* the audience lock (``keys.audience_lock``): held by ``run_id`` until ``expires_at``; the
  AudienceUploader defers the audience's messages while it is held (:mod:`leadloop.state.locks`).
* the run (``keys.replace_run``): what must survive a crashed invocation: whether batch 1 was
  attempted, and how far the middle batches got (the ``send`` watermark).
* the outcome (``keys.replace_outcome`` and ``keys.replace_latest``): counts and timings only.
* the scheduled outcome (``keys.replace_scheduled``): the audience's part in the last fan-out
  (AllReplacesStateMachine, nightly or ``leadloop replace --all``): outcome, rows, seconds, error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.state import keys
from leadloop.state.codec import from_item, to_item, to_value
from leadloop.state.errors import AudienceLocked, StateError, error_code, is_condition_failure

RUN_TTL_SECONDS = 30 * 86400
OUTCOME_TTL_SECONDS = 400 * 86400


class ReplaceRecords:
    def __init__(self, client: Any, table: str) -> None:
        self._ddb = client
        self._table = table

    # ---------------------------------------------------------------- lock
    def take_lock(self, audience_id: str, run_id: str, *, until: int, now: int) -> None:
        """Hold the audience for this run (re-entrant for the same run); AudienceLocked otherwise."""
        lock = keys.audience_lock(audience_id)
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=to_item(lock.fields() | {"run_id": run_id, "expires_at": until, "taken_at": now}),
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now OR run_id = :run",
                ExpressionAttributeValues={":now": to_value(now), ":run": to_value(run_id)},
            )
        except (ClientError, BotoCoreError) as exc:
            if is_condition_failure(exc):
                holder = self._get(lock) or {}
                raise AudienceLocked(
                    f"audience {audience_id} is locked by replace run {holder.get('run_id', '?')} "
                    f"until {holder.get('expires_at', '?')}"
                ) from None
            raise StateError(f"taking the audience lock failed: {error_code(exc)}") from None

    def lock(self, audience_id: str) -> dict[str, Any] | None:
        return self._get(keys.audience_lock(audience_id))

    def extend_lock(self, audience_id: str, run_id: str, *, until: int) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=keys.audience_lock(audience_id).item_key(),
                UpdateExpression="SET expires_at = :until",
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues={":until": to_value(until), ":run": to_value(run_id)},
            )
        except (ClientError, BotoCoreError) as exc:
            if is_condition_failure(exc):
                raise AudienceLocked(f"audience {audience_id}: the lock of run {run_id} was lost") from None
            raise StateError(f"updating the audience lock failed: {error_code(exc)}") from None

    def release_lock(self, audience_id: str, run_id: str) -> bool:
        """Drop the lock if this run holds it; False when it was not ours (or already gone)."""
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key=keys.audience_lock(audience_id).item_key(),
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues={":run": to_value(run_id)},
            )
        except (ClientError, BotoCoreError) as exc:
            if is_condition_failure(exc):
                return False
            raise StateError(f"releasing the audience lock failed: {error_code(exc)}") from None
        return True

    # ---------------------------------------------------------------- run progress
    def run(self, run_id: str) -> dict[str, Any]:
        return self._get(keys.replace_run(run_id)) or {}

    def note_run(self, run_id: str, fields: Mapping[str, Any]) -> None:
        if not fields:
            return
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": to_value(v) for i, v in enumerate(fields.values())}
        sets = ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=keys.replace_run(run_id).item_key(),
                UpdateExpression=f"SET {sets}, expires_at = :exp",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values | {":exp": to_value(int(time.time()) + RUN_TTL_SECONDS)},
            )
        except (ClientError, BotoCoreError) as exc:
            raise StateError(f"recording replace progress failed: {type(exc).__name__}") from None

    # ---------------------------------------------------------------- outcome
    def write_outcome(self, audience_id: str, run_id: str, started: int, outcome: Mapping[str, Any]) -> None:
        base = {"run_id": run_id, "expires_at": started + OUTCOME_TTL_SECONDS}
        try:
            for key in (keys.replace_outcome(audience_id, started, run_id), keys.replace_latest(audience_id)):
                self._ddb.put_item(TableName=self._table, Item=to_item(key.fields() | base | dict(outcome)))
        except (ClientError, BotoCoreError) as exc:
            raise StateError(f"recording the replace outcome failed: {type(exc).__name__}") from None

    def latest_outcome(self, audience_id: str) -> dict[str, Any] | None:
        return self._get(keys.replace_latest(audience_id))

    def write_scheduled(self, audience_id: str, record: Mapping[str, Any], *, now: int) -> None:
        """The audience's outcome in the last fan-out (replaced by the next one)."""
        fields = keys.replace_scheduled(audience_id).fields() | {"expires_at": now + OUTCOME_TTL_SECONDS}
        try:
            self._ddb.put_item(TableName=self._table, Item=to_item(fields | dict(record)))
        except (ClientError, BotoCoreError) as exc:
            raise StateError(f"recording the scheduled replace outcome failed: {type(exc).__name__}") from None

    def scheduled_outcome(self, audience_id: str) -> dict[str, Any] | None:
        return self._get(keys.replace_scheduled(audience_id))

    def _get(self, key: keys.StateKey) -> dict[str, Any] | None:
        try:
            item = self._ddb.get_item(TableName=self._table, Key=key.item_key(), ConsistentRead=True).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise StateError(f"reading {key.pk} failed: {type(exc).__name__}") from None
        return from_item(item) if item else None

"""StateTable records of the stream records the hasher reported failed: replays outlive the stream.

LeadHasherFailureDLQ receives only stream coordinates (shard, sequence range), and stream records
expire after 24 hours. So before the hasher reports a record as failed it records, durably, what
a replay needs to rebuild the record's rows from LeadsTable later:

* the key (``keys.hasher_failed``): ``pk`` ``hasher-failed``, ``sk`` the sequence number
  zero-padded, so the records of one dead-lettered range are one Query (``BETWEEN`` its first and
  last sequence numbers);
* ``leadgen_id`` and ``change`` (``add``, ``remove``, or ``unknown`` when the record could not be read);
* ``removals``: for a removal, the hashed rows it would have sent (hashes only, validated like a
  queue message): the answers are gone from LeadsTable, so they cannot be hashed again later;
* ``expires_at``: 15 days, past the DLQ's 14-day retention.

Nothing is cleared when a retry later succeeds: a record only counts when a dead-lettered range
covers it, and replaying a lead is idempotent (rows rebuilt from its current state).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.rows.audience_rows import AudienceRow, GroupKey
from leadloop.rows.messages import check_rows
from leadloop.state import keys
from leadloop.state.codec import from_item, to_item, to_value
from leadloop.state.errors import StateError, error_code

TTL_SECONDS = 15 * 86400
_PARALLEL = 8

Change = Literal["add", "remove", "unknown"]
_KNOWN_CHANGES: dict[str, Change] = {"add": "add", "remove": "remove"}


@dataclass(frozen=True)
class FailedRecord:
    sequence: str
    leadgen_id: str
    change: Change
    #: For a removal: the hashed rows it would have sent (one per audience).
    removals: tuple[AudienceRow, ...] = ()


class FailureMarkers:
    def __init__(self, client: Any, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def record(self, failed: Sequence[FailedRecord], *, now: int | None = None) -> None:
        """Write every record (an overwrite on a retry); ``StateError`` unless all were written.

        One PutItem each, a few at a time: the hasher's role may put items, never batch-write.
        """
        if not failed:
            return
        stamp = int(time.time()) if now is None else now
        items = [_item(f, stamp) for f in failed]  # validated before anything is written
        with ThreadPoolExecutor(max_workers=min(_PARALLEL, len(items))) as pool:
            errors = [e for e in pool.map(self._put, items) if e]
        if errors:
            raise StateError(f"writing {len(errors)} failure record(s) failed: {errors[0]}")

    def _put(self, item: dict[str, Any]) -> str:
        try:
            self._ddb.put_item(TableName=self._table, Item=item)
        except (ClientError, BotoCoreError) as exc:
            return error_code(exc)
        return ""

    def in_range(self, first: str, last: str) -> list[FailedRecord]:
        """The records whose sequence number lies in ``first``..``last`` (both included), in order."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": {
                ":pk": to_value(keys.HASHER_FAILED),
                ":first": to_value(keys.sequence_sort_key(first)),
                ":last": to_value(keys.sequence_sort_key(last)),
            },
            "ConsistentRead": True,
        }
        found: list[FailedRecord] = []
        while True:
            try:
                answer = self._ddb.query(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise StateError(f"reading failure records failed: {error_code(exc)}") from None
            found += [_record(from_item(item)) for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return found
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def delete(self, sequences: Iterable[str]) -> None:
        for sequence in dict.fromkeys(sequences):
            try:
                self._ddb.delete_item(TableName=self._table, Key=keys.hasher_failed(sequence).item_key())
            except (ClientError, BotoCoreError) as exc:
                raise StateError(f"deleting failure records failed: {error_code(exc)}") from None


def _item(failed: FailedRecord, now: int) -> dict[str, Any]:
    fields: dict[str, Any] = keys.hasher_failed(failed.sequence).fields() | {
        "sequence": failed.sequence,
        "leadgen_id": failed.leadgen_id or "-",
        "change": failed.change,
        "recorded_at": now,
        "expires_at": now + TTL_SECONDS,
    }
    if failed.removals:
        for row in failed.removals:  # the last guard: nothing but hashes is written here
            check_rows(row.key.schema, [row.cells], row.key.page_ids)
        fields["removals"] = json.dumps([_row_json(r) for r in failed.removals], separators=(",", ":"))
    return to_item(fields)


def _row_json(row: AudienceRow) -> dict[str, Any]:
    key = row.key
    return {
        "audience_id": key.audience_id,
        "schema": list(key.schema),
        "page_ids": list(key.page_ids),
        "account_id": key.account_id,
        "cells": list(row.cells),
    }


def _record(fields: dict[str, Any]) -> FailedRecord:
    lead = str(fields["leadgen_id"])
    removals = tuple(
        AudienceRow(
            GroupKey(r["audience_id"], "remove", tuple(r["schema"]), tuple(r["page_ids"]), r["account_id"]),
            lead,
            tuple(r["cells"]),
        )
        for r in json.loads(fields.get("removals", "[]"))
    )
    return FailedRecord(
        sequence=str(fields["sequence"]),
        leadgen_id="" if lead == "-" else lead,
        change=_KNOWN_CHANGES.get(str(fields["change"]), "unknown"),
        removals=removals,
    )

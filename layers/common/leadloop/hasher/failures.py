"""A failed stream record → what a replay needs to rebuild its rows (``state.markers.FailedRecord``).

Used by the hasher before it reports records failed, and by the LeadHasherFailureDLQ replay for
records it reads back from the stream while the stream still holds them. ``change`` is ``remove``
only when the removal's hashed rows are known (an empty list: it had nothing to remove); a record
that could not be read or hashed is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from leadloop.hasher.service import LeadChange, classify, rows_for_change
from leadloop.routing import Routing
from leadloop.rows.audience_rows import AudienceRow
from leadloop.state.markers import Change, FailedRecord


def sequence_of(record: DynamoDBRecord) -> str:
    return str(record.dynamodb.sequence_number) if record.dynamodb else ""


def change_of(record: DynamoDBRecord) -> LeadChange | None:
    stream = record.dynamodb
    return classify(
        record.event_name.name if record.event_name else "",
        stream.new_image if stream else None,
        stream.old_image if stream else None,
        record.user_identity,
    )


def describe(record: DynamoDBRecord, rows: Sequence[AudienceRow] | None) -> FailedRecord:
    """The record with ``rows``, the rows it produced (None: not known)."""
    try:
        change = change_of(record)
    except Exception:
        change = None
    kind: Change = "unknown"
    if change is not None and change.op == "add":
        kind = "add"
    elif change is not None and rows is not None:
        kind = "remove"
    removals = tuple(rows or ()) if kind == "remove" else ()
    return FailedRecord(sequence_of(record), _lead_id(record, change), kind, removals)


def describe_all(records: Sequence[DynamoDBRecord], routing: Callable[[], Routing]) -> list[FailedRecord]:
    """Every record of a batch; removals keep their hashes when routing can be read."""
    try:
        current = routing()
    except Exception:
        current = None
    described: list[FailedRecord] = []
    for record in records:
        rows: list[AudienceRow] | None = None
        try:
            change = change_of(record)
            if current is not None and change is not None and change.op == "remove":
                rows = rows_for_change(change, current)
        except Exception:
            rows = None
        described.append(describe(record, rows))
    return described


def _lead_id(record: DynamoDBRecord, change: LeadChange | None) -> str:
    if change is not None and change.lead_id:
        return change.lead_id
    try:
        keys = record.dynamodb.keys if record.dynamodb else None
        return str((keys or {}).get("leadgen_id") or "")
    except Exception:
        return ""

"""LeadsTable stream consumer: Powertools batch processing with partial failures.

The whole batch is hashed first and its rows packed into few messages per audience, sent
together; then each record is settled through ``BatchProcessor``: a record whose change could not
be read, or whose rows rode in a message SQS refused, is reported by sequence number, so Lambda
retries from it (with bisection in the template) and, after the retry limit, sends the batch's
coordinates to the on-failure destination for replay.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from leadloop.hasher.packing import AudienceRow
from leadloop.hasher.reporting import emit_rejected
from leadloop.hasher.service import HasherDeps, classify, rows_for_change, send_all
from leadloop.observability import logger


class NotQueued(Exception):
    """The record's rows are not on AudienceQueue yet."""


def consume(event: dict[str, Any], context: Any, deps: HasherDeps) -> dict[str, Any]:
    routing = deps.routing()
    pending: list[tuple[str, AudienceRow]] = []
    failed: set[str] = set()
    for raw in event.get("Records", []):
        record = DynamoDBRecord(raw)
        stream = record.dynamodb
        sequence = str(stream.sequence_number) if stream else ""
        try:
            change = classify(
                record.event_name.name if record.event_name else "",
                stream.new_image if stream else None,
                stream.old_image if stream else None,
                record.user_identity,
            )
            if change is not None:
                pending += [(sequence, row) for row in rows_for_change(change, routing)]
        except Exception:
            logger.exception("a stream record could not be hashed", extra={"sequence_number": sequence})
            failed.add(sequence)
    failed |= send_all(pending, deps) if pending else set()
    emit_rejected()

    def record_handler(record: DynamoDBRecord) -> None:
        if record.dynamodb and str(record.dynamodb.sequence_number) in failed:
            raise NotQueued(record.dynamodb.sequence_number)

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )

"""LeadsTable stream consumer: Powertools batch processing with partial failures.

A record that fails (routing unreadable, queue unavailable) is reported by sequence number, so
Lambda retries from it (with bisection in the template) and, after the retry limit, sends the
batch's coordinates to the on-failure destination for replay.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from leadloop.hasher.service import HasherDeps, classify, handle_change


def consume(event: dict[str, Any], context: Any, deps: HasherDeps) -> dict[str, Any]:
    def record_handler(record: DynamoDBRecord) -> None:
        stream = record.dynamodb
        change = classify(
            record.event_name.name if record.event_name else "",
            stream.new_image if stream else None,
            stream.old_image if stream else None,
            record.user_identity,
        )
        if change is not None:
            handle_change(change, deps)

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )

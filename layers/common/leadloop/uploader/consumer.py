"""AudienceQueue consumer: Powertools batch processing with partial failures.

All readable messages are uploaded together (that is what makes calls of up to 10,000 rows), then
each record is reported failed or done through ``BatchProcessor``. A message that does not parse,
or whose rows do not fit its schema, goes to AudienceDLQ verbatim with the reason and is
acknowledged: bad input never fails the whole batch. Both wire versions are read (packed v2 rows
from the current hasher, one-lead v1 messages still queued from before).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from leadloop.observability import MetricUnit, logger, metrics
from leadloop.queues import QueueError
from leadloop.rows.messages import AudienceRowsMessage, MessageError
from leadloop.uploader.batching import Received, well_formed
from leadloop.uploader.service import UploaderDeps, upload
from leadloop.uploader.tails import was_cut


class UploadLater(Exception):
    """Marks a record as failed so SQS delivers it again after its wait."""


def consume(
    event: dict[str, Any], context: Any, deps: UploaderDeps, *, time_left: Callable[[], float] | None = None
) -> dict[str, Any]:
    received: list[Received] = []
    unreadable: set[str] = set()
    for raw in event.get("Records", []):
        record = SQSRecord(raw)
        reason = _problem(record.body)
        if isinstance(reason, AudienceRowsMessage):
            count = int(record.attributes.approximate_receive_count or 1)
            received.append(Received(record.message_id, record.receipt_handle, reason, count, record.body))
            continue
        try:
            deps.dead_letters.send_text(record.body, reason)
        except QueueError:
            logger.exception("could not park an unreadable message", extra={"message_id": record.message_id})
            continue  # neither acknowledged nor unreadable: it comes back
        metrics.add_metric(name="AudienceMessageUnreadable", unit=MetricUnit.Count, value=1)
        logger.error("unreadable audience message parked", extra={"message_id": record.message_id, "reason": reason})
        unreadable.add(record.message_id)

    clock = time_left or (lambda: context.get_remaining_time_in_millis() / 1000.0)
    readable = {r.message_id for r in received}
    failed = upload(received, deps, time_left=clock, cut=was_cut(event)) if received else set()

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in failed or record.message_id not in readable | unreadable:
            raise UploadLater(record.message_id)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )


def _problem(body: str) -> AudienceRowsMessage | str:
    """The parsed message (v2 or v1), or why it cannot be uploaded (counts only: no cell values)."""
    try:
        message = AudienceRowsMessage.from_body(body)
    except ValidationError as exc:
        return f"unreadable audience message ({exc.error_count()} validation error(s))"
    except MessageError as exc:
        return f"unreadable audience message ({exc})"
    if not well_formed(message):
        return f"audience {message.audience_id}: a row's cell count differs from the schema"
    return message

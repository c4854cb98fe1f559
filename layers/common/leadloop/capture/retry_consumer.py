"""FetchRetryQueue consumer: Powertools batch processing with partial failures.

All readable messages of a batch are fetched together (batch Graph calls), then each SQS record
is marked failed or done through ``BatchProcessor`` so only the failed ones come back. A message
that does not parse goes to the DLQ verbatim with the reason.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from leadloop.capture.messages import FetchRetryMessage
from leadloop.capture.service import CaptureDeps, ReceivedRetry, retry_fetches
from leadloop.observability import MetricUnit, logger, metrics

#: Time kept after the last read to save leads, change visibilities and answer the batch.
SETTLE_MARGIN_SECONDS = 5.0


class RetryLater(Exception):
    """Marks a record as failed so SQS delivers it again after its backoff."""


def consume(event: dict[str, Any], context: Any, deps: CaptureDeps) -> dict[str, Any]:
    received: list[ReceivedRetry] = []
    unreadable: set[str] = set()
    for raw in event.get("Records", []):
        record = SQSRecord(raw)
        try:
            message = FetchRetryMessage.model_validate_json(record.body)
        except ValidationError as exc:
            reason = f"unreadable fetch-retry message ({exc.error_count()} validation error(s))"
            try:
                deps.dead_letters.send_text(record.body, reason)
            except Exception:
                logger.exception("could not park an unreadable message", extra={"message_id": record.message_id})
                continue  # neither acknowledged nor unreadable: it will be retried
            metrics.add_metric(name="FetchRetryUnreadable", unit=MetricUnit.Count, value=1)
            unreadable.add(record.message_id)
            continue
        receive_count = int(record.attributes.approximate_receive_count or 1)
        received.append(ReceivedRetry(record.message_id, record.receipt_handle, message, receive_count))

    readable = {r.message_id for r in received}
    failed = retry_fetches(received, deps, deadline=_deadline(context, deps)) if received else set()

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in failed or record.message_id not in readable | unreadable:
            raise RetryLater(record.message_id)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )


def _deadline(context: Any, deps: CaptureDeps) -> float | None:
    """When reads must stop so the batch is settled before the function times out."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return None
    return deps.clock() + max(0.0, float(remaining_ms()) / 1000 - SETTLE_MARGIN_SECONDS)

"""FetchRetryQueue consumer: Powertools batch processing with partial failures.

All readable messages of a batch are fetched together (batch Graph calls), then each SQS record
is marked failed or done through ``BatchProcessor`` so only the failed ones come back. A message
that does not parse goes to the DLQ verbatim with the reason.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadloop.batch.deadline import deadline
from leadloop.batch.parking import Unreadable, read_batch
from leadloop.batch.settle import settle_messages
from leadloop.capture.messages import FetchRetryMessage
from leadloop.capture.service import CaptureDeps, ReceivedRetry, retry_fetches

#: Time kept after the last read to save leads, change visibilities and answer the batch.
SETTLE_MARGIN_SECONDS = 5.0


def consume(event: dict[str, Any], context: LambdaContext, deps: CaptureDeps) -> dict[str, Any]:
    batch = read_batch(event, _read, deps.dead_letters, unreadable_metric="FetchRetryUnreadable")
    received = [
        ReceivedRetry(r.record.message_id, r.record.receipt_handle, r.message, r.receive_count) for r in batch.readable
    ]
    failed: set[str] = set()
    if received:
        until = deadline(context, now=deps.clock(), margin=SETTLE_MARGIN_SECONDS)
        failed = retry_fetches(received, deps, deadline=until)
    return settle_messages(event, context, failed | batch.unparked)


def _read(body: str) -> FetchRetryMessage:
    try:
        return FetchRetryMessage.model_validate_json(body)
    except ValidationError as exc:
        raise Unreadable(f"unreadable fetch-retry message ({exc.error_count()} validation error(s))") from None

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

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from leadloop.batch.deadline import time_left as context_time_left
from leadloop.batch.parking import Unreadable, read_batch
from leadloop.batch.settle import settle_messages
from leadloop.observability import logger
from leadloop.rows.messages import AudienceRowsMessage, MessageError
from leadloop.uploader.batching import Received, well_formed
from leadloop.uploader.service import UploaderDeps, upload
from leadloop.uploader.tails import was_cut


def consume(
    event: dict[str, Any], context: LambdaContext, deps: UploaderDeps, *, time_left: Callable[[], float] | None = None
) -> dict[str, Any]:
    batch = read_batch(event, _read, deps.dead_letters, unreadable_metric="AudienceMessageUnreadable")
    for message_id, reason in batch.parked.items():
        logger.error("unreadable audience message parked", extra={"message_id": message_id, "reason": reason})
    received = [
        Received(r.record.message_id, r.record.receipt_handle, r.message, r.receive_count, r.record.body)
        for r in batch.readable
    ]
    clock = time_left or context_time_left(context)
    failed = upload(received, deps, time_left=clock, cut=was_cut(event)) if received else set()
    return settle_messages(event, context, failed | batch.unparked)


def _read(body: str) -> AudienceRowsMessage:
    """The parsed message (v2 or v1), or ``Unreadable`` with why it cannot be uploaded (counts only: no cell values)."""
    try:
        message = AudienceRowsMessage.from_body(body)
    except ValidationError as exc:
        raise Unreadable(f"unreadable audience message ({exc.error_count()} validation error(s))") from None
    except MessageError as exc:
        raise Unreadable(f"unreadable audience message ({exc})") from None
    if not well_formed(message):
        raise Unreadable(f"audience {message.audience_id}: a row's cell count differs from the schema")
    return message

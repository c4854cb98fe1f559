"""The end of every batch: report the records that failed, so only those come back.

A consumer works on its whole batch at once (that is what makes few, large calls), then knows
which records failed. Powertools' ``BatchProcessor`` then builds the partial batch response from a
record handler that raises ``RetryLater`` for exactly those: SQS redelivers the failed messages
after their wait; a DynamoDB stream retries from the first failed sequence number.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext


class RetryLater(Exception):
    """Marks a record as failed so its source delivers it again."""


def settle_messages(event: dict[str, Any], context: LambdaContext, failed: Collection[str]) -> dict[str, Any]:
    """The partial response for an SQS batch: ``failed`` holds message ids."""

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in failed:
            raise RetryLater(record.message_id)

    return _respond(event, context, record_handler, EventType.SQS)


def settle_stream(event: dict[str, Any], context: LambdaContext, failed: Collection[str]) -> dict[str, Any]:
    """The partial response for a DynamoDB Streams batch: ``failed`` holds sequence numbers.

    A record without stream data has no sequence number to report, so it never counts as failed.
    """

    def record_handler(record: DynamoDBRecord) -> None:
        if record.dynamodb and str(record.dynamodb.sequence_number) in failed:
            raise RetryLater(record.dynamodb.sequence_number)

    return _respond(event, context, record_handler, EventType.DynamoDBStreams)


def _respond(
    event: dict[str, Any], context: LambdaContext, record_handler: Callable[[Any], None], source: EventType
) -> dict[str, Any]:
    processor = BatchProcessor(event_type=source, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )

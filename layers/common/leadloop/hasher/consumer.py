"""LeadsTable stream consumer: Powertools batch processing with partial failures.

The whole batch is hashed first and its rows packed into few messages per audience, sent
together; then each record is settled through ``BatchProcessor``: a record whose change could not
be read, or whose rows rode in a message SQS refused, is reported by sequence number, so Lambda
retries from it (with bisection in the template) and, after the retry limit, sends the batch's
coordinates to the on-failure destination for replay.

Before any record is reported failed, or the batch fails as a whole, the failed records are
written to StateTable (``markers``): the lead key, the change, and for a removal its hashed rows.
The replay rebuilds rows from those and LeadsTable, long after the stream records expired. If that
write fails, the invocation fails, so Lambda retries the batch rather than lose the records.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadloop.batch.settle import settle_stream
from leadloop.hasher.failures import change_of, describe, describe_all, sequence_of
from leadloop.hasher.reporting import RejectedCells
from leadloop.hasher.service import HasherDeps, rows_for_change, send_all
from leadloop.observability import logger
from leadloop.rows.audience_rows import AudienceRow
from leadloop.state.errors import StateError


def consume(event: dict[str, Any], context: LambdaContext, deps: HasherDeps) -> dict[str, Any]:
    records = [DynamoDBRecord(raw) for raw in event.get("Records", [])]
    rejected = RejectedCells()
    try:
        failed = _queue_rows(records, deps, rejected)
    except StateError:
        raise  # StateTable refused: the invocation fails and Lambda retries the batch
    except Exception:
        # The whole batch fails (Lambda retries and bisects it): record every record first.
        logger.exception("the stream batch failed as a whole", extra={"records": len(records)})
        deps.markers.record(describe_all(records, deps.routing))
        raise
    rejected.emit()
    return settle_stream(event, context, failed)


def _queue_rows(records: list[DynamoDBRecord], deps: HasherDeps, rejected: RejectedCells) -> set[str]:
    """Queue every record's rows; returns the sequence numbers of failed records (already recorded)."""
    routing = deps.routing()
    pending: list[tuple[str, AudienceRow]] = []
    outcomes: dict[str, tuple[DynamoDBRecord, list[AudienceRow] | None]] = {}
    failed: set[str] = set()
    for record in records:
        sequence = sequence_of(record)
        try:
            change = change_of(record)
            rows = rows_for_change(change, routing, rejected) if change is not None else []
        except Exception:
            logger.exception("a stream record could not be hashed", extra={"sequence_number": sequence})
            outcomes[sequence] = (record, None)
            failed.add(sequence)
            continue
        outcomes[sequence] = (record, rows)
        pending += [(sequence, row) for row in rows]
    failed |= send_all(pending, deps) if pending else set()
    if failed:
        deps.markers.record([describe(*outcomes[s]) for s in sorted(failed)])
    return failed

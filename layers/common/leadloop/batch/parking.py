"""Reading an SQS batch: readable messages go on to the work, unreadable ones to a DLQ.

A message that cannot be read will never become readable, so retrying it only holds the queue:
it is parked verbatim with the reason, for an operator to inspect, and acknowledged. If parking
fails too, the message is neither acknowledged nor worked on: it is reported failed and comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from leadloop.observability import MetricUnit, logger, metrics


class Unreadable(Exception):
    """A message body that cannot be worked on; the text is the reason parked with it (counts, never values)."""


class TextSender(Protocol):
    def send_text(self, body: str, reason: str) -> None: ...


@dataclass(frozen=True)
class Readable[M]:
    """A message that was read, with the record it came in."""

    record: SQSRecord
    message: M

    @property
    def receive_count(self) -> int:
        return int(self.record.attributes.approximate_receive_count or 1)


@dataclass
class ReadBatch[M]:
    readable: list[Readable[M]] = field(default_factory=list)
    #: Message id -> the reason it was parked with.
    parked: dict[str, str] = field(default_factory=dict)
    #: Unreadable messages that could not be parked either: report them failed so they come back.
    unparked: set[str] = field(default_factory=set)


def read_batch[M](
    event: dict[str, Any], read: Callable[[str], M], dead_letters: TextSender, *, unreadable_metric: str
) -> ReadBatch[M]:
    """Read every message of ``event`` with ``read``, which raises ``Unreadable`` for one to park."""
    batch: ReadBatch[M] = ReadBatch()
    for raw in event.get("Records", []):
        record = SQSRecord(raw)
        try:
            message = read(record.body)
        except Unreadable as exc:
            _park(record, str(exc), dead_letters, batch, unreadable_metric)
            continue
        batch.readable.append(Readable(record, message))
    return batch


def _park(record: SQSRecord, reason: str, dead_letters: TextSender, batch: ReadBatch[Any], metric: str) -> None:
    try:
        dead_letters.send_text(record.body, reason)
    except Exception:
        logger.exception("could not park an unreadable message", extra={"message_id": record.message_id})
        batch.unparked.add(record.message_id)
        return
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    batch.parked[record.message_id] = reason

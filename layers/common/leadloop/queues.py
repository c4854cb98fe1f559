"""SQS adapter: send (batches of 10 within 256 KiB, every failure raised), forward verbatim, delay redelivery."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

MAX_DELAY_SECONDS = 900
MAX_VISIBILITY_SECONDS = 43200
_SEND_BATCH = 10
#: SQS caps a SendMessageBatch request's messages (bodies and attributes) at 256 KiB in total.
_SEND_BATCH_BYTES = 256 * 1024


class QueueError(RuntimeError):
    """A message could not be queued; the caller must not acknowledge the work it carries."""


@dataclass(frozen=True)
class OutgoingMessage:
    """A body to queue (JSON without PII), its delay, and a short reason attribute for operators."""

    body: str
    delay_seconds: int = 0
    reason: str = ""


class MessageQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send(self, messages: Sequence[OutgoingMessage]) -> None:
        """Send all messages (batches of 10); raise ``QueueError`` if any is left unsent."""
        unsent = len(messages) - sum(self.send_each(messages))
        if unsent:
            raise QueueError(f"{unsent} message(s) were not queued")

    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        """Send in batches of 10 (256 KiB at most); whether each message was accepted, in order (never raises)."""
        accepted = [False] * len(messages)
        for start, stop in _batches(messages):
            chunk = messages[start:stop]
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": out.body,
                    "DelaySeconds": max(0, min(MAX_DELAY_SECONDS, int(out.delay_seconds))),
                    "MessageAttributes": {
                        "reason": {"DataType": "String", "StringValue": _reason(out)},
                    },
                }
                for i, out in enumerate(chunk)
            ]
            try:
                answer = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            except (ClientError, BotoCoreError):
                continue
            for entry in answer.get("Successful", []):
                accepted[start + int(entry["Id"])] = True
        return accepted

    def send_text(self, body: str, reason: str) -> None:
        """Forward an unreadable message verbatim, with the reason, so an operator can inspect it."""
        try:
            self._sqs.send_message(
                QueueUrl=self._url,
                MessageBody=body or "-",
                MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:250] or "-"}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise QueueError(f"sending to the queue failed: {type(exc).__name__}") from None

    def delay_redelivery(self, receipt_handle: str, seconds: float) -> None:
        """Hide a received message for ``seconds`` (backoff before Lambda sees it again)."""
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self._url,
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=max(0, min(MAX_VISIBILITY_SECONDS, int(seconds))),
            )
        except (ClientError, BotoCoreError) as exc:
            raise QueueError(f"changing visibility failed: {type(exc).__name__}") from None


def _reason(out: OutgoingMessage) -> str:
    return out.reason[:250] or "-"


def _size(out: OutgoingMessage) -> int:
    """The bytes SQS counts for a message: body plus attribute name, type and value."""
    return len(out.body.encode()) + len("reason") + len("String") + len(_reason(out).encode())


def _batches(messages: Sequence[OutgoingMessage]) -> list[tuple[int, int]]:
    """(start, stop) ranges of at most 10 messages and 256 KiB each (a larger message goes alone)."""
    ranges: list[tuple[int, int]] = []
    start, size = 0, 0
    for index, out in enumerate(messages):
        grown = size + _size(out)
        if index > start and (index - start == _SEND_BATCH or grown > _SEND_BATCH_BYTES):
            ranges.append((start, index))
            start, grown = index, _size(out)
        size = grown
    if start < len(messages):
        ranges.append((start, len(messages)))
    return ranges

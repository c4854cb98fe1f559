"""SQS adapter: send (batches of 10, every failure raised), forward verbatim, delay redelivery."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

MAX_DELAY_SECONDS = 900
MAX_VISIBILITY_SECONDS = 43200
_SEND_BATCH = 10


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
        """Send in batches of 10; whether each message was accepted, in order (never raises)."""
        accepted = [False] * len(messages)
        for start in range(0, len(messages), _SEND_BATCH):
            chunk = messages[start : start + _SEND_BATCH]
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": out.body,
                    "DelaySeconds": max(0, min(MAX_DELAY_SECONDS, int(out.delay_seconds))),
                    "MessageAttributes": {
                        "reason": {"DataType": "String", "StringValue": out.reason[:250] or "-"},
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

"""``SQS`` events: a poller with Lambda's event-source-mapping semantics.

moto's own mapping delivers one message per invoke, synchronously inside SendMessage, and ignores
``batchItemFailures``. This poller does what Lambda does: gathers up to ``BatchSize`` messages (10 per
ReceiveMessage) within ``MaximumBatchingWindowInSeconds``, stops before the event would pass Lambda's
6 MB invoke payload (``payload``: the records as the function receives them, measured) and keeps
the messages received beyond it, in flight, for the next batch; drops (deletes) messages that do
not match ``FilterCriteria``, invokes with real-shaped records, then deletes the successes: all of them,
all but the reported ``batchItemFailures``, or none on a function error (they come back after the
visibility timeout, and moto moves them to the DLQ per the queue's RedrivePolicy).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..logsink import LogSink
from ..runtime import InvokeResult
from .batch import failed_item_ids
from .loop import BackgroundLoop
from .payload import MAX_EVENT_BYTES, EventBudget, limit_response, record_bytes

__all__ = ["MAX_EVENT_BYTES", "SqsEventSource", "SqsPoller", "sqs_record"]
_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


@dataclass(frozen=True)
class SqsEventSource:
    """One ``SQS`` entry of a function's ``Events``, resolved."""

    function: str
    event_name: str
    queue_arn: str
    queue_url: str
    batch_size: int = 10
    batching_window: float = 0.0
    report_failures: bool = False
    filter: Callable[[Any], bool] | None = None
    pollers: int = 1

    @property
    def tag(self) -> str:
        return f"{self.function}.{self.event_name}"


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        raw = value["BinaryValue"]
        out["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
    out["stringListValues"] = list(value.get("StringListValues") or [])
    out["binaryListValues"] = [
        base64.b64encode(item).decode() if isinstance(item, bytes) else item
        for item in value.get("BinaryListValues") or []
    ]
    out["dataType"] = value["DataType"]
    return out


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One Lambda SQS record from a ReceiveMessage entry (AttributeNames/MessageAttributeNames All)."""
    attributes = message.get("Attributes") or {}
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {key: attributes[key] for key in _RECORD_ATTRIBUTES if key in attributes},
        "messageAttributes": {
            name: _lambda_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _filter_view(record: dict[str, Any]) -> dict[str, Any]:
    # Lambda filters on the parsed body when it is JSON, on the text otherwise.
    try:
        body = json.loads(record["body"])
    except (ValueError, TypeError):
        body = record["body"]
    return {**record, "body": body}


class SqsPoller(BackgroundLoop):
    """Polls one queue for one function until stopped."""

    def __init__(
        self,
        source: SqsEventSource,
        *,
        invoke: Callable[[Any], InvokeResult],
        sqs: Any,
        region: str,
        sink: LogSink,
    ) -> None:
        self.source = source
        self._invoke = invoke
        self._sqs = sqs
        self._region = region
        self._sink = sink
        super().__init__()
        self.batches = 0
        self._carry: list[dict[str, Any]] = []
        self._paused = threading.Event()

    # ------------------------------------------------------------------ lifecycle
    def _thread_names(self) -> list[str]:
        return [f"sqs-{self.source.tag}-{index}" for index in range(max(1, self.source.pollers))]

    def pause(self) -> None:
        """Stop taking new batches (the event source disabled); a batch already gathered still goes."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def _run(self) -> None:
        carry: list[dict[str, Any]] = []
        while not self._stop.is_set():
            if self._paused.is_set() and not carry:
                self._stop.wait(0.2)
                continue
            try:
                messages, carry = self.gather(carry, wait_seconds=1)
                if messages:
                    self.deliver(messages)
            except Exception as exc:
                if self._stop.is_set():
                    return
                self._sink.write("devstack", f"sqs poller {self.source.tag}: {type(exc).__name__}: {exc}")
                self._stop.wait(1.0)

    # ------------------------------------------------------------------ one cycle
    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages") or [])

    def gather(
        self, carry: list[dict[str, Any]], wait_seconds: int = 1
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One batch and the messages left over for the next one.

        The batch ends at ``BatchSize`` messages, when the batching window closes, or before the
        event would pass 6 MB, as Lambda's does; ``carry`` (left over last time) comes first.
        """
        source = self.source
        batch: list[dict[str, Any]] = []
        over: list[dict[str, Any]] = []
        budget = EventBudget(MAX_EVENT_BYTES)

        def take(messages: list[dict[str, Any]]) -> None:
            for index, message in enumerate(messages):
                size = self._payload_bytes(message)
                if over or len(batch) >= source.batch_size or (size is not None and not budget.fits(size)):
                    over.extend(messages[index:])
                    return
                if size is not None:
                    budget.add(size)
                batch.append(message)

        take(carry)
        deadline = time.monotonic() + source.batching_window if batch else None
        while not over and not self._stop.is_set() and len(batch) < source.batch_size:
            if deadline is not None and time.monotonic() >= deadline:
                break
            remaining = (deadline - time.monotonic()) if deadline is not None else float(wait_seconds)
            wait = 0 if batch and remaining < 1 else min(wait_seconds, max(0, int(remaining)))
            messages = self._receive(min(10, source.batch_size - len(batch)), wait)
            if messages:
                take(messages)
                if deadline is None:
                    deadline = time.monotonic() + source.batching_window
            elif not batch:
                return [], []
            elif wait == 0:
                self._stop.wait(min(0.05, max(0.0, remaining)))
            if source.batching_window <= 0 and batch:
                break
        return batch, over

    def _payload_bytes(self, message: dict[str, Any]) -> int | None:
        """What the message adds to the invoke payload (None when FilterCriteria drop it)."""
        record = sqs_record(message, self.source.queue_arn, self._region)
        if self.source.filter is not None and not self.source.filter(_filter_view(record)):
            return None
        return record_bytes(record)

    def poll_once(self, wait_seconds: int = 1) -> int:
        """Gather one batch and deliver it (tests drive the poller with this); returns its size.

        Messages received beyond the batch's limits stay in flight and open the next call's batch.
        """
        batch, self._carry = self.gather(self._carry, wait_seconds)
        if batch:
            self.deliver(batch)
        return len(batch)

    def deliver(self, messages: list[dict[str, Any]]) -> None:
        source = self.source
        records = [sqs_record(m, source.queue_arn, self._region) for m in messages]
        if source.filter is not None:
            dropped = [r for r in records if not source.filter(_filter_view(r))]
            records = [r for r in records if source.filter(_filter_view(r))]
            if dropped:
                self._delete(dropped)
                self._sink.write(source.tag, f"{len(dropped)} message(s) did not match FilterCriteria: deleted")
            if not records:
                return
        result = limit_response(self._invoke({"Records": records}))
        self.batches += 1
        if result.errored:
            self._sink.write(
                source.tag, f"{len(records)} message(s): function error {result.error_type}; left on the queue"
            )
            return
        if source.report_failures:
            failed = failed_item_ids(result, {r["messageId"] for r in records})
            if failed is None:
                self._sink.write(source.tag, f"{len(records)} message(s): invalid partial batch response")
                return
        else:
            failed = set()
        self._delete([r for r in records if r["messageId"] not in failed])
        detail = f", {len(failed)} reported failed" if failed else ""
        self._sink.write(source.tag, f"{len(records)} message(s) delivered{detail}")

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)]
            self._sqs.delete_message_batch(QueueUrl=self.source.queue_url, Entries=entries)

"""SQS adapter: hide many received messages at once (``ChangeMessageVisibilityBatch``, 10 a call).

A large batch that Meta throttles can leave thousands of messages to hide; one call per message
would spend the function's time budget on SQS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.queues import MAX_VISIBILITY_SECONDS

_BATCH = 10


class VisibilityChanger:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def hide(self, waits: Mapping[str, int]) -> int:
        """Hide each receipt handle for its seconds; returns how many changes failed.

        A failed change is not an error: the queue's own visibility timeout still brings the
        message back, only later than planned.
        """
        items = list(waits.items())
        failed = 0
        for start in range(0, len(items), _BATCH):
            chunk = items[start : start + _BATCH]
            entries = [
                {
                    "Id": str(i),
                    "ReceiptHandle": handle,
                    "VisibilityTimeout": max(0, min(MAX_VISIBILITY_SECONDS, int(seconds))),
                }
                for i, (handle, seconds) in enumerate(chunk)
            ]
            try:
                answer = self._sqs.change_message_visibility_batch(QueueUrl=self._url, Entries=entries)
            except (ClientError, BotoCoreError):
                failed += len(chunk)
                continue
            failed += len(answer.get("Failed") or [])
        return failed

"""SQS message sizes as AWS counts them: UTF-8 bytes of the body plus every message attribute.

"All parts of the message attribute, including Name, Type, and Value, are part of the message size
restriction" (SQS API reference, ``MessageAttributeValue``), and the limit is the queue's
``MaximumMessageSize`` (1,024 to 1,048,576 bytes; "Default: 1,048,576 bytes (1 MiB)", CreateQueue).
A ``SendMessageBatch`` may carry at most 1 MiB in total ("the sum of the individual lengths of all
of the batched messages"). moto 5.2.5 compares the body's *character* count with the limit and
ignores attributes, so a body of multi-byte characters, or one near the limit with an attribute,
passes locally and fails on AWS; these rules close that gap.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["MAX_BATCH_BYTES", "batch_too_long", "message_bytes", "message_size_error"]

MAX_BATCH_BYTES = 1_048_576


def _value_bytes(value: Mapping[str, Any]) -> int:
    if value.get("StringValue") is not None:
        return len(str(value["StringValue"]).encode())
    binary = value.get("BinaryValue")
    if isinstance(binary, bytes | bytearray):
        return len(binary)
    if isinstance(binary, str):  # the JSON protocol carries blobs as base64 text
        try:
            return len(base64.b64decode(binary, validate=True))
        except (binascii.Error, ValueError):
            return len(binary.encode())
    return 0


def message_bytes(body: str, attributes: Mapping[str, Mapping[str, Any]] | None = None) -> int:
    """The size SQS counts for one message: body, then each attribute's name, type and value."""
    size = len(body.encode())
    for name, value in (attributes or {}).items():
        size += len(name.encode()) + len(str(value.get("DataType", "")).encode()) + _value_bytes(value)
    return size


def message_size_error(body: str, attributes: Mapping[str, Mapping[str, Any]] | None, maximum: int) -> str | None:
    """SQS's refusal of a message over the queue's ``MaximumMessageSize``, or None when it fits."""
    if message_bytes(body, attributes) <= maximum:
        return None
    return f"One or more parameters are invalid. Reason: Message must be shorter than {maximum} bytes."


def batch_too_long(sizes: Iterable[int]) -> bool:
    """Whether SQS refuses a batch of messages of these sizes (over 1 MiB in all: ``BatchRequestTooLong``)."""
    return sum(sizes) > MAX_BATCH_BYTES

"""Keeps moto's SQS linear under bulk load, so local benchmarks measure leadloop rather than moto.

moto 5.2.5 keeps a queue's messages in a plain list: every delete and visibility change scans it,
every receive builds the full list of visible messages (two clock reads per message), every send and
every received message computes the queue's attributes (three more scans) only to read one static
attribute, and every send wakes each long-polling receiver to rebuild the visible list again. With
tens of thousands of messages in flight (an uploader gathering a 10,000-message batch) a delete
costs milliseconds, and a 50,000-row run spends its time inside moto.

:func:`install` swaps the list for :class:`IndexedMessages` (insertion-ordered, O(1) removal, an index
by receipt handle) and replaces the scanning paths with indexed ones; sends and retention checks skip the approximate
counts they never read. SQS semantics are unchanged:
the same messages are visible, deletes of an old handle still work, an unknown handle is still
``ReceiptHandleIsInvalid``. Only the local stack installs it, and only on the moto version it was
written for.

Why a patch of moto's private classes, next to the one Lambda hook DESIGN allows: the cost is inside
moto's own data structure, so no request-level wrapper can remove it, and swapping SQS emulators would
lose the redrive and visibility semantics the pollers rely on. It changes nothing a client can see
(tests/unit/devstack/test_sqs_scaling.py holds it to moto's answers). :mod:`motopatches` lists it with
every other moto patch.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, cast

__all__ = ["IndexedMessages", "install", "installed", "uninstall"]

SUPPORTED_MOTO_VERSION = "5.2.5"

_lock = threading.Lock()
_originals: dict[str, Any] = {}
# message -> the IndexedMessages holding it; weak and off the message, because moto deep-copies
# every message it hands out.
_owners: weakref.WeakKeyDictionary[Any, IndexedMessages] = weakref.WeakKeyDictionary()


class IndexedMessages:
    """A queue's messages in send order, indexed by every receipt handle each one has had."""

    def __init__(self, messages: Iterable[Any] = ()) -> None:
        self._messages: dict[Any, None] = {}
        self._by_handle: dict[str, Any] = {}
        self._lock = threading.RLock()
        for message in messages:
            self.append(message)

    def append(self, message: Any) -> None:
        with self._lock:
            self._messages[message] = None
            _owners[message] = self
            for handle in message.all_receipt_handles:
                if handle:
                    self._by_handle[handle] = message

    def remove(self, message: Any) -> None:
        with self._lock:
            del self._messages[message]
            for handle in message.all_receipt_handles:
                self._by_handle.pop(handle, None)
            if _owners.get(message) is self:
                del _owners[message]

    def index_handle(self, handle: str, message: Any) -> None:
        with self._lock:
            if message in self._messages:
                self._by_handle[handle] = message

    def by_handle(self, handle: str) -> Any | None:
        return self._by_handle.get(handle)

    def snapshot(self) -> list[Any]:
        with self._lock:
            return list(self._messages)

    def __iter__(self) -> Iterator[Any]:
        # A snapshot: moto iterates while other request threads add and delete.
        return iter(self.snapshot())

    def __len__(self) -> int:
        return len(self._messages)

    def __contains__(self, message: object) -> bool:
        return message in self._messages


class _SkipCounts(threading.local):
    active = False


_skip_counts = _SkipCounts()


def _without_counts(original: Any) -> Any:
    """Run a backend method that reads ``queue.attributes`` for a static value, without the scans."""

    def run(*args: Any, **kwargs: Any) -> Any:
        _skip_counts.active = True
        try:
            return original(*args, **kwargs)
        finally:
            _skip_counts.active = False

    return run


def _count_delayed(queue: Any) -> int:
    if _skip_counts.active:
        return 0
    now = _now_ms()
    return sum(1 for m in _get_messages(queue).snapshot() if now < m.delayed_until)


def _count_not_visible(queue: Any) -> int:
    if _skip_counts.active:
        return 0
    now = _now_ms()
    return sum(1 for m in _get_messages(queue).snapshot() if not now > m.visible_at)


def _count_visible(queue: Any) -> int:
    return 0 if _skip_counts.active else len(_visible_messages(queue))


def _now_ms() -> float:
    from moto.core.utils import unix_time_millis

    return float(unix_time_millis())


def _get_messages(queue: Any) -> IndexedMessages:
    return queue.__dict__["_leadloop_messages"]  # type: ignore[no-any-return]


def _set_messages(queue: Any, value: Iterable[Any]) -> None:
    queue.__dict__["_leadloop_messages"] = value if isinstance(value, IndexedMessages) else IndexedMessages(value)


def _visible_messages(queue: Any) -> list[Any]:
    """Visible and not delayed, with one clock read for the whole queue."""
    now = _now_ms()
    return [m for m in _get_messages(queue).snapshot() if now > m.visible_at and now >= m.delayed_until]


def _wait_for_messages(queue: Any, timeout: int) -> None:
    def any_visible() -> bool:
        now = _now_ms()
        # Newest first: right after a send, the answer is found at once.
        return any(now > m.visible_at and now >= m.delayed_until for m in reversed(_get_messages(queue).snapshot()))

    with queue._messages_lock:
        queue._messages_lock.wait_for(any_visible, timeout=timeout)


def _delete_message(queue: Any, receipt_handle: str) -> None:
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    if receipt_handle in queue.deleted_messages:
        return  # deleting twice is allowed, as on SQS
    messages = _get_messages(queue)
    message = messages.by_handle(receipt_handle)
    if message is None:
        raise ReceiptHandleIsInvalid()
    queue.pending_messages.discard(message)
    queue.deleted_messages.update(message.all_receipt_handles)
    messages.remove(message)


def _mark_received(message: Any, visibility_timeout: int | None = None) -> None:
    _originals["mark_received"](message, visibility_timeout)
    owner = _owners.get(message)
    if owner is not None:
        owner.index_handle(message.receipt_handle, message)


def _change_message_visibility(backend: Any, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None:
    from moto.sqs.exceptions import InvalidParameterValue, ReceiptHandleIsInvalid

    queue = backend.get_queue(queue_name)
    message = _get_messages(queue).by_handle(receipt_handle)
    if message is None:
        raise ReceiptHandleIsInvalid
    given_visibility_timeout = _now_ms() + int(visibility_timeout) * 1000
    if given_visibility_timeout - message.sent_timestamp > 43200 * 1000:
        raise InvalidParameterValue(
            f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
            "VisibilityTimeout for the message is beyond the limit [43200 seconds]"
        )
    message.change_visibility(visibility_timeout)
    if message.visible and message in queue.pending_messages:
        queue.pending_messages.remove(message)


_COUNT_PROPERTIES = {
    "approximate_number_of_messages_delayed": _count_delayed,
    "approximate_number_of_messages_not_visible": _count_not_visible,
    "approximate_number_of_messages": _count_visible,
}


def install() -> None:
    """Patch moto's SQS classes in this interpreter (idempotent)."""
    import moto
    from moto.sqs.models import Message, Queue, SQSBackend

    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise RuntimeError(
            f"sqs_scaling supports moto {SUPPORTED_MOTO_VERSION}, found {moto.__version__}; "
            "re-check moto.sqs.models.Queue and update sqs_scaling.py"
        )
    with _lock:
        if _originals:
            return
        _originals.update(
            messages_attr=Queue.__dict__.get("_messages"),
            messages=Queue.__dict__["messages"],
            wait_for_messages=Queue.wait_for_messages,
            delete_message=Queue.delete_message,
            mark_received=Message.mark_received,
            change_message_visibility=SQSBackend.change_message_visibility,
            send_message=SQSBackend.send_message,
            is_message_valid_based_on_retention_period=SQSBackend.is_message_valid_based_on_retention_period,
            **{name: Queue.__dict__[name] for name in _COUNT_PROPERTIES},
        )
        setattr(Queue, "_messages", property(_get_messages, _set_messages))  # noqa: B010
        setattr(Queue, "messages", property(_visible_messages))  # noqa: B010
        setattr(Queue, "wait_for_messages", _wait_for_messages)  # noqa: B010
        setattr(Queue, "delete_message", _delete_message)  # noqa: B010
        setattr(Message, "mark_received", _mark_received)  # noqa: B010
        setattr(SQSBackend, "change_message_visibility", _change_message_visibility)  # noqa: B010
        setattr(SQSBackend, "send_message", _without_counts(SQSBackend.send_message))  # noqa: B010
        retention = "is_message_valid_based_on_retention_period"
        setattr(SQSBackend, retention, _without_counts(getattr(SQSBackend, retention)))
        for name, count in _COUNT_PROPERTIES.items():
            setattr(Queue, name, property(count))
        _reindex_existing_queues()


def _reindex_existing_queues() -> None:
    from moto.sqs.models import sqs_backends

    for _account, _region, backend in sqs_backends.iter_backends():
        for queue in cast(Any, backend).queues.values():
            if "_leadloop_messages" not in queue.__dict__:
                _set_messages(queue, queue.__dict__.pop("_messages", []))


def uninstall() -> None:
    """Put moto's own SQS code back; queues keep their messages as plain lists."""
    from moto.sqs.models import Message, Queue, SQSBackend, sqs_backends

    with _lock:
        if not _originals:
            return
        for _account, _region, backend in sqs_backends.iter_backends():
            for queue in cast(Any, backend).queues.values():
                held = queue.__dict__.pop("_leadloop_messages", None)
                if held is not None:
                    queue.__dict__["_messages"] = held.snapshot()
        if _originals["messages_attr"] is None:
            delattr(Queue, "_messages")
        else:  # pragma: no cover - moto 5.2.5 has no class attribute
            setattr(Queue, "_messages", _originals["messages_attr"])  # noqa: B010
        setattr(Queue, "messages", _originals["messages"])  # noqa: B010
        setattr(Queue, "wait_for_messages", _originals["wait_for_messages"])  # noqa: B010
        setattr(Queue, "delete_message", _originals["delete_message"])  # noqa: B010
        setattr(Message, "mark_received", _originals["mark_received"])  # noqa: B010
        setattr(SQSBackend, "change_message_visibility", _originals["change_message_visibility"])  # noqa: B010
        setattr(SQSBackend, "send_message", _originals["send_message"])  # noqa: B010
        retention = "is_message_valid_based_on_retention_period"
        setattr(SQSBackend, retention, _originals[retention])
        for name in _COUNT_PROPERTIES:
            setattr(Queue, name, _originals[name])
        _originals.clear()


def installed() -> bool:
    return bool(_originals)

"""Waiting out Meta's rate limits without spending fetch attempts (meta-api.md §4.2).

A throttled read (codes 4, 17, 32, 341, 613, 80000-80014, 368) is not a failed one: the lead
waits as long as Meta says, and longer after repeated throttles when Meta names no wait (doubling
from a minute to an hour), and its ``attempts`` stay as they were. SQS delays a message by 15
minutes at most, and a visibility change would raise the receive count until the queue's redrive
(maxReceiveCount) parks the lead regardless of our counters, so the wait travels in the message:
``not_before`` is when Meta may be asked again, and each hop is a fresh copy (receive count 1)
sent before the received one is acknowledged. A copy that arrives early is sent on without a read.

Nothing waits forever: once a lead has waited ``max_wait`` seconds since it was first notified
(days, well inside Meta's 90-day retention of leads), the next throttle parks it with that reason.
"""

from __future__ import annotations

import math
from typing import Final

from leadloop.batch.backoff import doubled, jittered
from leadloop.capture.messages import FetchRetryMessage
from leadloop.graph import GraphThrottledError
from leadloop.graph.errors import DEFAULT_THROTTLE_WAIT_SECONDS

#: Longest wait grown from repeated throttles (Meta's own wait may be longer, and is kept).
MAX_BACKOFF_SECONDS: Final = 3600.0
#: A copy due within this many seconds is read now rather than sent on once more.
DUE_TOLERANCE_SECONDS: Final = 5
DAY_SECONDS: Final = 86400


def is_waiting(message: FetchRetryMessage, now: int) -> bool:
    """Whether Meta's wait is still running (the copy came early: SQS delays 15 minutes at most)."""
    return message.not_before is not None and now < message.not_before - DUE_TOLERANCE_SECONDS


def wait_seconds(error: GraphThrottledError, throttled: int) -> int:
    """Meta's wait (a day at most), at least a minute doubling per throttle to an hour, plus up to 10%."""
    grown = min(MAX_BACKOFF_SECONDS, doubled(DEFAULT_THROTTLE_WAIT_SECONDS, throttled))
    said = min(float(DAY_SECONDS), float(error.retry_after))
    return math.ceil(jittered(max(said, grown), 1.0, 1.1))


def waited_too_long(message: FetchRetryMessage, *, now: int, max_wait: int) -> bool:
    first = message.first_notified_at
    return first is not None and now - first >= max_wait


def next_wait(message: FetchRetryMessage, error: GraphThrottledError, *, attempts: int, now: int) -> FetchRetryMessage:
    """The copy to queue after a throttle: same attempts, the wait and the count of throttles."""
    throttled = message.throttled + 1
    return message.model_copy(
        update={
            "attempts": attempts,
            "throttled": throttled,
            "not_before": now + wait_seconds(error, throttled),
            "first_notified_at": message.first_notified_at if message.first_notified_at is not None else now,
            "reason": error.describe()[:600],
        }
    )


def ceiling_reason(error: GraphThrottledError, max_wait: int) -> str:
    return f"throttled by Meta for {max_wait / DAY_SECONDS:g} days since first notified; last: {error.describe()}"

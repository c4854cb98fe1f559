"""What a call's result means for the messages whose rows it carried.

Four kinds, ordered by precedence when one message's rows went out in several calls:
``SENT`` (acknowledge) < ``DEAD`` (AudienceDLQ with the reason, acknowledge) < ``RETRY`` (backoff,
DLQ with the reason after too many receives) < ``KEEP`` (wait; never dead-lettered: throttling,
a broken token, a replace lock, the time budget). A retry beats a permanent error because
re-sending the rows of a permanently failing call simply fails again and lands in the DLQ then,
while dead-lettering a message that still has rows to retry would lose them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from leadloop.batch.backoff import backoff_with_jitter
from leadloop.graph import GraphAuthError, GraphError, GraphThrottledError

#: Business Use Case limits: Meta counts these per ad account (80003 is Custom Audience's).
ACCOUNT_THROTTLE_CODES = frozenset(range(80000, 80015))


class Kind(enum.IntEnum):
    SENT = 0
    DEAD = 1
    RETRY = 2
    KEEP = 3


@dataclass(frozen=True)
class CallOutcome:
    kind: Kind
    #: Seconds to hide the message before SQS hands it back (RETRY computes its own backoff).
    wait: int = 0
    reason: str = ""
    #: Stop calling Graph for the rest of the batch (Meta says continuing lengthens a block).
    stop_calls: bool = False
    #: With ``stop_calls``: stop only calls for the same ad account (a BUC limit), not every call.
    account_scoped: bool = False

    def merge(self, other: CallOutcome) -> CallOutcome:
        """The outcome of a message two calls decided (the stronger kind, the longer wait)."""
        first, second = (self, other) if self.kind >= other.kind else (other, self)
        if first.kind == second.kind:
            return CallOutcome(first.kind, max(first.wait, second.wait), first.reason or second.reason)
        return CallOutcome(first.kind, first.wait, first.reason)


SENT = CallOutcome(Kind.SENT)


@dataclass(frozen=True)
class Policy:
    """Waits, from the function's settings."""

    retry_base_delay: int = 30
    max_retry_delay: int = 3600
    max_throttle_wait: int = 3600
    auth_delay: int = 1800

    def for_error(self, error: GraphError, audience_id: str) -> CallOutcome:
        reason = f"audience {audience_id}: {error.describe()}"
        if isinstance(error, GraphThrottledError):
            wait = max(1, min(self.max_throttle_wait, int(error.retry_after)))
            per_account = error.code in ACCOUNT_THROTTLE_CODES
            return CallOutcome(Kind.KEEP, wait, reason, stop_calls=True, account_scoped=per_account)
        if isinstance(error, GraphAuthError):
            # Every later call carries the same token: stop, keep everything, alert.
            return CallOutcome(Kind.KEEP, self.auth_delay, reason, stop_calls=True)
        if error.retryable:
            return CallOutcome(Kind.RETRY, 0, reason)
        return CallOutcome(Kind.DEAD, 0, reason)

    def retry_delay(self, receive_count: int) -> int:
        """Exponential backoff with jitter on the message's receive count."""
        return int(backoff_with_jitter(self.retry_base_delay, receive_count, cap=self.max_retry_delay))

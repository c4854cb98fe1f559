"""One AudienceQueue batch: defer locked audiences, send the rest, decide each message's fate.

Returns the message ids to report as batch item failures; everything else is acknowledged (sent,
or parked in AudienceDLQ with a reason). Failed messages are hidden first (visibility change) so
SQS hands them back after the wait Meta asked for or our backoff. A message kept for a reason that
is not its fault (throttling, a broken token, a replace lock) is re-queued fresh before the queue's
redrive could dead-letter it: those wait, they are never dropped.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from leadloop.graph import GraphAuthError, GraphError, GraphResponse
from leadloop.observability import MetricUnit, logger, metrics
from leadloop.queues import MAX_DELAY_SECONDS, OutgoingMessage, QueueError
from leadloop.state.errors import StateError
from leadloop.uploader.batching import MAX_ROWS_PER_CALL, Call, Received, plan_calls
from leadloop.uploader.call_outcomes import SENT, CallOutcome, Kind, Policy
from leadloop.uploader.reporting import AudienceCounts, emit_counts
from leadloop.uploader.tails import hold_back_tails

#: How long a locked audience's messages wait before the lock is checked again.
LOCK_RECHECK_SECONDS = 300
#: Wait before messages left over by a spent time budget come back.
BUDGET_WAIT_SECONDS = 5
#: Seconds kept in hand after the last call: hiding a full batch takes up to 1,000 SQS calls.
RESERVE_SECONDS = 25.0


class UsersApi(Protocol):
    def post(
        self, path: str, data: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> GraphResponse: ...


class Locks(Protocol):
    def held_until(self, audience_ids: Iterable[str], now: int) -> dict[str, int]: ...


class Hider(Protocol):
    def hide(self, waits: Mapping[str, int]) -> int: ...


class Sender(Protocol):
    def send(self, messages: Sequence[OutgoingMessage]) -> None: ...


class TextSender(Protocol):
    def send_text(self, body: str, reason: str) -> None: ...


@dataclass
class UploaderDeps:
    graph: Callable[[], UsersApi]
    locks: Locks
    visibility: Hider
    requeue: Sender
    dead_letters: TextSender
    policy: Policy = field(default_factory=Policy)
    max_receives: int = 8
    call_timeout: float = 20.0
    max_rows: int = MAX_ROWS_PER_CALL
    clock: Callable[[], float] = time.time


def upload(
    received: Sequence[Received], deps: UploaderDeps, *, time_left: Callable[[], float], cut: bool = False
) -> set[str]:
    """Upload a batch's readable messages; returns the ids to report as failures.

    ``cut``: Lambda ended the batch at its payload limit, so more rows wait on the queue and
    partial tail calls are left for the next batch (``tails``).
    """
    fates: dict[str, CallOutcome] = {}
    free = _defer_locked(received, deps, fates)
    if cut:
        free = _hold_back_tails(free, deps, fates)
    counts = _send(plan_calls(free, max_rows=deps.max_rows), deps, fates, time_left)
    emit_counts(counts)
    return _settle(received, fates, deps)


def _defer_locked(received: Sequence[Received], deps: UploaderDeps, fates: dict[str, CallOutcome]) -> list[Received]:
    now = int(deps.clock())
    try:
        held = deps.locks.held_until({r.message.audience_id for r in received}, now)
    except StateError as exc:
        logger.warning("audience locks unreadable: the batch waits", extra={"error": str(exc)})
        for r in received:
            fates[r.message_id] = CallOutcome(Kind.KEEP, LOCK_RECHECK_SECONDS // 5, str(exc))
        return []
    free: list[Received] = []
    for r in received:
        until = held.get(r.message.audience_id)
        if until is None:
            free.append(r)
            continue
        wait = max(30, min(LOCK_RECHECK_SECONDS, until - now))
        fates[r.message_id] = CallOutcome(Kind.KEEP, wait, f"audience {r.message.audience_id} is locked by a replace")
    if held:
        metrics.add_metric(name="AudienceUploadDeferred", unit=MetricUnit.Count, value=len(received) - len(free))
        logger.info("replace in progress: uploads deferred", extra={"audience_ids": sorted(held)})
    return free


def _hold_back_tails(free: list[Received], deps: UploaderDeps, fates: dict[str, CallOutcome]) -> list[Received]:
    send, wait = hold_back_tails(free, deps.max_rows)
    for r in wait:
        fates[r.message_id] = CallOutcome(Kind.KEEP, 0, "rows wait to fill a later call")
    if wait:
        rows = sum(len(r.message.rows) for r in wait)
        metrics.add_metric(name="AudienceRowsHeldForFullCall", unit=MetricUnit.Count, value=rows)
        logger.info(
            "batch cut at the payload limit: tail rows join the next batch", extra={"messages": len(wait), "rows": rows}
        )
    return send


def _send(
    calls: Sequence[Call], deps: UploaderDeps, fates: dict[str, CallOutcome], time_left: Callable[[], float]
) -> dict[str, AudienceCounts]:
    counts: dict[str, AudienceCounts] = defaultdict(AudienceCounts)
    stops = _Stops()
    graph: UsersApi | None = None
    for call in calls:
        budget = time_left() - RESERVE_SECONDS
        if stops.everything is None and budget < min(deps.call_timeout, 5.0):
            stops.everything = CallOutcome(Kind.KEEP, BUDGET_WAIT_SECONDS, "time budget spent before the call")
            logger.warning("time budget spent: remaining uploads return later")
        stopped = stops.for_call(call)
        if stopped is not None:
            outcome = CallOutcome(Kind.KEEP, stopped.wait, stopped.reason)
        else:
            graph = graph or deps.graph()
            outcome = _call(graph, call, min(deps.call_timeout, budget), deps.policy, counts)
            stops.note(call, outcome)
        for message_id in call.message_ids:
            fates[message_id] = fates.get(message_id, SENT).merge(outcome)
    return counts


@dataclass
class _Stops:
    """Which later calls a stop applies to: all of them, or those of one throttled ad account.

    A per-account limit whose account routing does not name stops everything: pressing on with the
    audience's siblings could lengthen the block Meta imposed.
    """

    everything: CallOutcome | None = None
    accounts: dict[str, CallOutcome] = field(default_factory=dict)

    def for_call(self, call: Call) -> CallOutcome | None:
        return self.everything or self.accounts.get(call.key.account_id or "")

    def note(self, call: Call, outcome: CallOutcome) -> None:
        if not outcome.stop_calls:
            return
        if outcome.account_scoped and call.key.account_id:
            self.accounts[call.key.account_id] = outcome
            logger.warning("ad account throttled: its uploads wait", extra={"account_id": call.key.account_id})
        else:
            self.everything = outcome


def _call(
    graph: UsersApi, call: Call, timeout: float, policy: Policy, counts: dict[str, AudienceCounts]
) -> CallOutcome:
    audience = call.key.audience_id
    log = {
        "audience_id": audience,
        "op": call.key.op,
        "rows": len(call.rows),
        "messages": len(call.message_ids),
        "session_id": call.session.session_id if call.session else None,
        "batch_seq": call.session.batch_seq if call.session else None,
    }
    try:
        answer = graph.post(f"{audience}/users", call.form(), timeout=timeout)
    except GraphError as exc:
        outcome = policy.for_error(exc, audience)
        counts[audience].failed_calls += 1
        if isinstance(exc, GraphAuthError):
            metrics.add_metric(name="GraphAuthFailure", unit=MetricUnit.Count, value=1)
            logger.error("Graph token or permission failure: uploads stop, messages kept", extra=log | exc.log_fields())
        else:
            logger.warning("audience upload failed", extra=log | exc.log_fields() | {"outcome": outcome.kind.name})
        return outcome
    received, invalid = _numbers(answer.data)
    counts[audience].add(call, received, invalid)
    logger.info("audience rows sent", extra=log | {"num_received": received, "num_invalid_entries": invalid})
    return SENT


def _numbers(data: Any) -> tuple[int, int]:
    body = data if isinstance(data, dict) else {}
    return _int(body.get("num_received")), _int(body.get("num_invalid_entries"))


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def _settle(received: Sequence[Received], fates: Mapping[str, CallOutcome], deps: UploaderDeps) -> set[str]:
    """Park, re-queue or hide each message as its outcome says; returns the failures."""
    failed: set[str] = set()
    hide: dict[str, int] = {}
    for r in received:
        fate = fates.get(r.message_id, SENT)
        worn_out = r.receive_count >= deps.max_receives
        if fate.kind is Kind.SENT:
            continue
        if fate.kind is Kind.DEAD or (fate.kind is Kind.RETRY and worn_out):
            reason = fate.reason if fate.kind is Kind.DEAD else f"gave up after {r.receive_count} tries: {fate.reason}"
            if not _park(r, reason, deps):
                failed.add(r.message_id)
            continue
        if fate.kind is Kind.KEEP and worn_out and _requeue(r, fate, deps):
            continue
        wait = fate.wait if fate.kind is Kind.KEEP else deps.policy.retry_delay(r.receive_count)
        hide[r.receipt_handle] = wait
        failed.add(r.message_id)
    if hide and (missed := deps.visibility.hide(hide)):
        logger.warning("some visibility changes failed; the queue timeout applies", extra={"count": missed})
    return failed


def _park(r: Received, reason: str, deps: UploaderDeps) -> bool:
    try:
        deps.dead_letters.send_text(r.body or r.message.body(), reason)
    except QueueError:
        logger.exception("could not park a message in AudienceDLQ", extra={"message_id": r.message_id})
        return False
    metrics.add_metric(name="AudienceRowsParked", unit=MetricUnit.Count, value=len(r.message.rows))
    logger.error(
        "audience message parked in AudienceDLQ",
        extra={"message_id": r.message_id, "audience_id": r.message.audience_id, "reason": reason},
    )
    return True


def _requeue(r: Received, fate: CallOutcome, deps: UploaderDeps) -> bool:
    """Send a fresh copy (receive count 1) and acknowledge this one; False if that failed."""
    copy = OutgoingMessage(r.body or r.message.body(), min(MAX_DELAY_SECONDS, fate.wait), fate.reason)
    try:
        deps.requeue.send([copy])
    except QueueError:
        return False
    metrics.add_metric(name="AudienceMessageRequeued", unit=MetricUnit.Count, value=1)
    return True

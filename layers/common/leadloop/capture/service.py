"""Capture logic: record every notified lead, fetch what the time budget allows, queue the rest.

The webhook answers Meta only after every notification is durably recorded (a ``PENDING`` stub),
then spends what is left of its budget fetching leads with batch calls. Whatever was not fetched
in time, or failed, goes to FetchRetryQueue; a lead Meta will never return goes to FetchRetryDLQ
with the reason. Token and permission failures are loud and keep the lead queued. A throttled
read spends no attempt: the lead waits as long as Meta says (``capture.throttle``). Nothing is
dropped: an error that leaves work unqueued propagates so the caller answers 5xx and Meta retries.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from leadloop.batch.backoff import backoff_with_jitter
from leadloop.capture import throttle
from leadloop.capture.messages import FetchRetryMessage
from leadloop.graph import GraphAuthError, GraphClient, GraphError, GraphThrottledError
from leadloop.leads.models import LeadNotification, LeadStatus
from leadloop.leads.reader import LeadReadResult, read_leads
from leadloop.leads.store import LeadOrigin, LeadStore, StoreError
from leadloop.observability import MetricUnit, logger, metrics
from leadloop.queues import MAX_DELAY_SECONDS, MessageQueue, OutgoingMessage, QueueError

AUTH_RETRY_DELAY_SECONDS = 900
MIN_FETCH_WINDOW_SECONDS = 0.3
#: How long a lead may wait out Meta's throttling, from its first notification, before it is parked.
DEFAULT_MAX_THROTTLE_WAIT_SECONDS = 7 * 86400


@dataclass
class CaptureDeps:
    store: LeadStore
    graph_for_page: Callable[[str | None], GraphClient]
    retry_queue: MessageQueue
    dead_letters: MessageQueue
    clock: Callable[[], float] = time.time
    base_retry_delay: int = 30
    max_attempts: int = 8
    max_throttle_wait_seconds: int = DEFAULT_MAX_THROTTLE_WAIT_SECONDS


@dataclass
class CaptureReport:
    notified: int = 0
    already_stored: int = 0
    stored: int = 0
    queued_for_retry: int = 0
    parked: int = 0


def capture(notes: Sequence[LeadNotification], deps: CaptureDeps, *, deadline: float) -> CaptureReport:
    """Handle one webhook POST's leads; raises ``StoreError``/``QueueError`` if work could be lost."""
    report = CaptureReport(notified=len(notes))
    now = int(deps.clock())
    recorded = deps.store.record_notifications(notes, now=now)
    fetched_already = {r.leadgen_id for r in recorded if r.status.settled}
    report.already_stored = len(fetched_already)
    to_fetch = [n for n in notes if n.leadgen_id not in fetched_already]

    retries: list[OutgoingMessage] = []
    parked: list[OutgoingMessage] = []
    for result, note in _fetch(to_fetch, deps, deadline=deadline):
        if result is None:
            retries.append(_retry(note, attempts=0, reason="webhook time budget spent", delay=0, now=now))
            continue
        if result.lead is not None:
            try:
                if deps.store.save_fetched(
                    result.lead, source=LeadOrigin.WEBHOOK, now=int(deps.clock()), page_id=note.page_id
                ):
                    report.stored += 1
                else:
                    report.already_stored += 1
            except StoreError as exc:
                retries.append(_retry(note, attempts=1, reason=str(exc), delay=deps.base_retry_delay, now=now))
            continue
        assert result.error is not None
        _note_error(result.error, note)
        reason = result.error.describe()
        retry_later = result.error.retryable or isinstance(result.error, GraphAuthError)
        if isinstance(result.error, GraphThrottledError):
            first = FetchRetryMessage.from_notification(note, attempts=0, reason=reason, first_notified_at=now)
            waiting = throttle.next_wait(first, result.error, attempts=0, now=now)
            retries.append(_queued(waiting, delay=_until(waiting, now)))
        elif retry_later:
            retries.append(_retry(note, attempts=1, reason=reason, delay=_delay_for(result.error, 1, deps), now=now))
        else:
            parked.append(_retry(note, attempts=1, reason=reason, delay=0))
        with contextlib.suppress(StoreError):  # bookkeeping only: the queued message carries the reason
            deps.store.note_fetch_failure(note.leadgen_id, reason, failed=not retry_later, now=now)

    deps.retry_queue.send(retries)
    deps.dead_letters.send(parked)
    report.queued_for_retry, report.parked = len(retries), len(parked)
    _emit(report)
    return report


@dataclass(frozen=True)
class ReceivedRetry:
    message_id: str
    receipt_handle: str
    message: FetchRetryMessage
    receive_count: int


def retry_fetches(received: Sequence[ReceivedRetry], deps: CaptureDeps, *, deadline: float | None = None) -> set[str]:
    """Try the queued leads again; returns the message ids to report as batch item failures.

    Successes and parked leads are acknowledged. A failure hides its message for a backoff
    (visibility change) and is reported so SQS redelivers it; after ``max_attempts`` the lead is
    parked in the DLQ with the last reason. Every receive of a copy is an attempt except a
    throttled read: that copy is replaced by a fresh one carrying Meta's wait and the attempts
    spent so far (``capture.throttle``), and a copy that arrives before the wait is over is sent
    on unread. Leads not read before ``deadline`` (the function's timeout, less a margin) are
    reported too and come back after the visibility timeout.
    """
    statuses = deps.store.statuses(r.message.leadgen_id for r in received)
    pending = [r for r in received if not (statuses.get(r.message.leadgen_id) or LeadStatus.PENDING).settled]
    now = int(deps.clock())
    sent_on = [(r, r.message) for r in pending if throttle.is_waiting(r.message, now)]
    due = [r for r in pending if not throttle.is_waiting(r.message, now)]
    failed: set[str] = set()
    parked: list[tuple[ReceivedRetry, FetchRetryMessage]] = []
    notes = [r.message.notification() for r in due]
    for (result, note), item in zip(_fetch(notes, deps, deadline=deadline), due, strict=True):
        attempts = item.message.attempts + item.receive_count
        if result is None:
            failed.add(item.message_id)
            continue
        if result.lead is not None:
            try:
                # False: another delivery or path stored it first; only a first store is a success.
                if deps.store.save_fetched(
                    result.lead, source=LeadOrigin.WEBHOOK, now=now, page_id=item.message.page_id
                ):
                    metrics.add_metric(name="LeadFetchRetrySucceeded", unit=MetricUnit.Count, value=1)
            except StoreError:
                failed.add(item.message_id)
            continue
        error = result.error
        assert error is not None
        _note_error(error, note)
        reason = error.describe()
        if isinstance(error, GraphThrottledError):
            spent = attempts - 1  # this receive was a throttled read, not an attempt
            if throttle.waited_too_long(item.message, now=now, max_wait=deps.max_throttle_wait_seconds):
                reason = throttle.ceiling_reason(error, deps.max_throttle_wait_seconds)
                parked.append((item, FetchRetryMessage.from_notification(note, attempts=spent, reason=reason)))
                continue
            sent_on.append((item, throttle.next_wait(item.message, error, attempts=spent, now=now)))
            with contextlib.suppress(StoreError):  # bookkeeping only: the queued copy carries the reason
                deps.store.note_fetch_failure(item.message.leadgen_id, reason, failed=False, now=now)
            continue
        retry_later = error.retryable or isinstance(error, GraphAuthError)
        if retry_later and attempts < deps.max_attempts:
            try:
                deps.store.note_fetch_failure(item.message.leadgen_id, reason, failed=False, now=now)
                deps.retry_queue.delay_redelivery(item.receipt_handle, _delay_for(error, item.receive_count, deps))
            except (StoreError, QueueError):
                pass  # the default visibility timeout still brings the message back
            failed.add(item.message_id)
            continue
        parked.append((item, FetchRetryMessage.from_notification(note, attempts=attempts, reason=reason)))

    return failed | _send_on(sent_on, deps, now=now) | _park(parked, deps, now=now)


# ---------------------------------------------------------------------- helpers
def _park(parked: Sequence[tuple[ReceivedRetry, FetchRetryMessage]], deps: CaptureDeps, *, now: int) -> set[str]:
    """Send each lead to FetchRetryDLQ with its reason and mark it FAILED; returns what could not be."""
    failed: set[str] = set()
    for item, message in parked:
        try:
            deps.dead_letters.send([_queued(message, delay=0)])
            deps.store.note_fetch_failure(item.message.leadgen_id, message.reason, failed=True, now=now)
        except (QueueError, StoreError):
            failed.add(item.message_id)
            continue
        metrics.add_metric(name="LeadFetchParked", unit=MetricUnit.Count, value=1)
        logger.error(
            "lead parked in FetchRetryDLQ",
            extra={
                "leadgen_id": item.message.leadgen_id,
                "attempts": message.attempts,
                "reason": message.reason,
            },
        )
    return failed


def _send_on(waiting: Sequence[tuple[ReceivedRetry, FetchRetryMessage]], deps: CaptureDeps, *, now: int) -> set[str]:
    """Queue a fresh copy of each waiting lead; the received copy is acknowledged once it is sent.

    A copy the queue refused falls back to hiding the received one for the wait (it is reported
    as failed, so it comes back; that receive will count as an attempt).
    """
    if not waiting:
        return set()
    accepted = deps.retry_queue.send_each([_queued(message, delay=_until(message, now)) for _, message in waiting])
    failed: set[str] = set()
    for (item, message), ok in zip(waiting, accepted, strict=True):
        if ok:
            continue
        with contextlib.suppress(QueueError):  # the default visibility timeout still brings it back
            deps.retry_queue.delay_redelivery(item.receipt_handle, _until(message, now))
        failed.add(item.message_id)
    return failed


def _until(message: FetchRetryMessage, now: int) -> int:
    """Seconds left of Meta's wait (the queue delays at most 15 minutes of it)."""
    return max(0, (message.not_before or now) - now)


def _fetch(
    notes: Sequence[LeadNotification], deps: CaptureDeps, *, deadline: float | None
) -> list[tuple[LeadReadResult | None, LeadNotification]]:
    """Read the leads, one client per Page token; results in the order of ``notes``.

    Pages are read one after another, each with what is left before ``deadline``; a Page reached
    with less than ``MIN_FETCH_WINDOW_SECONDS`` left is not read, and its leads get ``None``.
    """
    by_page: dict[str | None, list[LeadNotification]] = defaultdict(list)
    for note in notes:
        by_page[note.page_id].append(note)
    results: dict[str, LeadReadResult] = {}
    for page_id, page_notes in by_page.items():
        timeout = None if deadline is None else deadline - deps.clock()
        if timeout is not None and timeout < MIN_FETCH_WINDOW_SECONDS:
            break
        client = deps.graph_for_page(page_id)
        for result in read_leads(client, [n.leadgen_id for n in page_notes], timeout=timeout):
            results[result.leadgen_id] = result
    return [(results.get(n.leadgen_id), n) for n in notes]


def _retry(
    note: LeadNotification, *, attempts: int, reason: str, delay: int, now: int | None = None
) -> OutgoingMessage:
    message = FetchRetryMessage.from_notification(note, attempts=attempts, reason=reason, first_notified_at=now)
    return _queued(message, delay=delay)


def _queued(message: FetchRetryMessage, *, delay: int) -> OutgoingMessage:
    return OutgoingMessage(body=message.model_dump_json(), delay_seconds=delay, reason=message.reason)


def _delay_for(error: GraphError, attempt: int, deps: CaptureDeps) -> int:
    if isinstance(error, GraphAuthError):
        return AUTH_RETRY_DELAY_SECONDS
    return int(backoff_with_jitter(deps.base_retry_delay, attempt, cap=MAX_DELAY_SECONDS))


def _note_error(error: GraphError, note: LeadNotification) -> None:
    fields = error.log_fields() | {
        "leadgen_id": note.leadgen_id,
        "page_id": note.page_id,
        "form_id": note.form_id,
    }
    if isinstance(error, GraphAuthError):
        metrics.add_metric(name="GraphAuthFailure", unit=MetricUnit.Count, value=1)
        logger.error("Graph token or permission failure: leads are kept queued until it is fixed", extra=fields)
    elif isinstance(error, GraphThrottledError):
        metrics.add_metric(name="LeadFetchThrottled", unit=MetricUnit.Count, value=1)
        logger.warning("lead fetch throttled: waiting as long as Meta says", extra=fields)
    else:
        metrics.add_metric(name="LeadFetchFailed", unit=MetricUnit.Count, value=1)
        logger.warning("lead fetch failed", extra=fields)


def _emit(report: CaptureReport) -> None:
    metrics.add_metric(name="LeadNotified", unit=MetricUnit.Count, value=report.notified)
    metrics.add_metric(name="LeadStored", unit=MetricUnit.Count, value=report.stored)
    metrics.add_metric(name="LeadDuplicate", unit=MetricUnit.Count, value=report.already_stored)
    metrics.add_metric(name="LeadQueuedForRetry", unit=MetricUnit.Count, value=report.queued_for_retry)
    logger.info(
        "webhook leads handled",
        extra={
            "notified": report.notified,
            "stored": report.stored,
            "already_stored": report.already_stored,
            "queued_for_retry": report.queued_for_retry,
            "parked": report.parked,
        },
    )

"""The tasks inside and after Meta's window: batch 1, the middle batches, close, poll, overflow.

Window rules (meta-api.md §6.3): batch 1 opens the session and must succeed before any other; the
rest may go in parallel; nothing is accepted 90 minutes after batch 1. We stop *starting* batches
``safety margin`` before that, close the session with ``last_batch_flag``, wait for Meta to finish,
then add whatever did not fit (the overflow) with ordinary ``/users`` calls.

Crash safety: before batch 1 is sent the run item records the attempt; a retried invocation first
asks Meta whether that session exists, so batch 1 is never sent twice. The middle batches record a
watermark as they finish; a retry resumes after it (re-sending a later batch is harmless: Meta
accepts repeated non-first batches and a replace is a set).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from leadloop.observability import logger
from leadloop.replace import chunkset
from leadloop.replace.deps import ReplaceDeps
from leadloop.replace.errors import AudienceBusy, ReplaceFailed
from leadloop.replace.history import next_wait
from leadloop.replace.meta import (
    STATUS_REPLACE_FAILED,
    STATUS_REPLACING,
    ReplaceBatchResult,
    Sent,
    read_audience,
    send_add_batch,
    send_replace_batch,
    session_received,
)
from leadloop.replace.send import SendRound, send_chunks
from leadloop.replace.state import Closed, OverflowState, Packed, PollState, Processed, SendState

#: Seconds of invocation time kept for one more call and returning.
CALL_RESERVE_SECONDS = 45.0
#: A closing batch is still sent this close to the window's end (one call's worth).
CLOSE_MARGIN_SECONDS = 60
MAX_SESSION_RESTARTS = 2
#: How often the middle batches' watermark is written (a crash resends at most this much).
WATERMARK_EVERY_SECONDS = 5.0


def send_first(state: Packed, deps: ReplaceDeps, time_left: Callable[[], float]) -> Packed:
    run, send = state.run, state.send
    session_id, chunks = send.session_id, run.chunks
    graph = deps.graph()
    attempted = deps.records.run(run.run_id).get("first_attempt")
    if attempted == session_id and session_received(graph, run.audience_id, session_id):
        logger.info("batch 1 reached Meta before a retry: not sending it again", extra={"session_id": session_id})
        return _opened(state, deps, Sent(ReplaceBatchResult.SENT))
    deps.records.note_run(run.run_id, {"first_attempt": session_id})
    rows = deps.staging(run.run_id).chunk(1)
    try:
        sent = send_replace_batch(
            graph,
            run.audience_id,
            run.schema_keys,
            rows,
            session_id=session_id,
            batch_seq=1,
            last=chunks == 1,
            estimated_total=state.pack.progress.rows_unique,
            time_left=time_left,
        )
    except AudienceBusy:
        attempts = send.attempts + 1
        waited = send.waited
        if waited >= deps.settings.replace_busy_max_seconds:
            raise
        wait = next_wait(waited, deps.settings.replace_poll_seconds)
        logger.info("audience busy at Meta (1870145): batch 1 waits", extra={"attempts": attempts})
        deps.records.note_run(run.run_id, {"first_attempt": 0})
        send.attempts, send.waited, send.busy = attempts, waited + wait, True
        send.done, send.restart, send.wait_seconds = False, False, wait
        return state
    if sent.result is not ReplaceBatchResult.SENT:
        raise ReplaceFailed(f"audience {run.audience_id}: Meta refused batch 1 ({sent.result.value})")
    return _opened(state, deps, sent)


def _opened(state: Packed, deps: ReplaceDeps, sent: Sent) -> Packed:
    run, send = state.run, state.send
    now = int(deps.clock())
    chunks = run.chunks
    send.busy, send.restart = False, False
    send.opened_at, send.next = now, 2
    send.received, send.invalid, send.calls = sent.received, sent.invalid, 1
    send.closed, send.done, send.window_over = chunks == 1, chunks <= 2, False
    send.overflow = []
    deps.records.note_run(run.run_id, {"session_id": send.session_id, "opened_at": now, "sent_upto": 1})
    deps.records.extend_lock(run.audience_id, run.run_id, until=_lock_until(deps))
    state.times.session_opened = now
    return state


def send_middle(state: Packed, deps: ReplaceDeps, time_left: Callable[[], float]) -> Packed:
    """Chunks 2..N-1 (N, the last, closes the session)."""
    run, send = state.run, state.send
    chunks, session_id = run.chunks, send.session_id
    stored = deps.records.run(run.run_id)
    start = send.next
    if int(stored.get("session_id", 0)) == session_id:
        start = max(start, int(stored.get("sent_upto", 0)) + 1)
    numbers = range(start, chunks)
    round_ = _send_replace(state, deps, numbers, time_left)
    send.calls += len(round_.sent)
    send.received = max(send.received, round_.received)
    send.invalid = max(send.invalid, round_.invalid)
    send.overflow = chunkset.union(send.overflow, round_.closed_out)
    last = max(round_.last_taken, start - 1)
    send.next = last + 1
    if round_.session_lost:
        send.restart = True
        send.done = True
        return state
    window_over = bool(round_.closed_out) or (round_.stopped_early and not _window_open(state, deps))
    if window_over:
        send.window_over = True
        send.overflow = chunkset.union(send.overflow, range(last + 1, chunks + 1))
        logger.warning(
            "replace window nearly over: the rest becomes overflow",
            extra={"run_id": run.run_id, "overflow_chunks": chunkset.count(send.overflow)},
        )
    send.done = window_over or send.next >= chunks
    return state


def _send_replace(state: Packed, deps: ReplaceDeps, numbers: range, time_left: Callable[[], float]) -> SendRound:
    run, send = state.run, state.send
    graph, store = deps.graph(), deps.staging(run.run_id)
    total = state.pack.progress.rows_unique

    def read(number: int) -> tuple[int, list[list[str]]]:
        return number, store.chunk(number)

    def one(chunk: tuple[int, list[list[str]]]) -> Sent:
        number, rows = chunk
        return send_replace_batch(
            graph,
            run.audience_id,
            run.schema_keys,
            rows,
            session_id=send.session_id,
            batch_seq=number,
            last=False,
            estimated_total=total,
            time_left=time_left,
        )

    def may_start() -> bool:
        return time_left() > CALL_RESERVE_SECONDS and _window_open(state, deps)

    first = numbers.start
    noted = {"upto": first - 1, "at": 0.0}

    def note(progress: SendRound, *, force: bool = False) -> None:
        """Record the contiguous watermark for a retried invocation, at most every few seconds."""
        done = set(progress.sent)
        upto = noted["upto"]
        while upto + 1 in done:
            upto += 1
        if upto > noted["upto"] and (force or time.monotonic() - noted["at"] >= WATERMARK_EVERY_SECONDS):
            deps.records.note_run(run.run_id, {"session_id": send.session_id, "sent_upto": upto})
            noted.update(upto=upto, at=time.monotonic())

    round_ = send_chunks(
        numbers,
        one,
        prepare=read,
        concurrency=run.concurrency,
        may_start=may_start,
        cumulative=True,
        on_progress=note,
    )
    note(round_, force=True)
    return round_


def _window_open(state: Packed, deps: ReplaceDeps) -> bool:
    s = deps.settings
    ends = state.send.opened_at + s.replace_window_seconds - s.replace_safety_margin_seconds
    return deps.clock() < ends


def new_session(state: Packed, deps: ReplaceDeps, time_left: Callable[[], float]) -> Packed:
    """Meta lost the session (1870147): start over with a fresh id, a bounded number of times."""
    restarts = state.send.restarts + 1
    if restarts > MAX_SESSION_RESTARTS:
        raise ReplaceFailed(f"Meta lost the replace session {restarts} times (2650/1870147)")
    logger.warning("replace session lost at Meta: starting a new one", extra={"restarts": restarts})
    state.send = SendState(session_id=deps.new_session_id(), attempts=0, restarts=restarts)
    return state


def close(state: Packed, deps: ReplaceDeps, time_left: Callable[[], float]) -> Packed:
    """Send the closing batch: chunk N with ``last_batch_flag`` (N = 1 closed with batch 1)."""
    send = state.send
    if not send.closed:
        if _send_closing_batch(state, deps, time_left) is ReplaceBatchResult.SESSION_LOST:
            send.restart = True
            return state
        send.closed = True
    now = int(deps.clock())
    state.times.session_closed = now
    state.poll = PollState(done=False, since=now)
    return state


def _send_closing_batch(state: Packed, deps: ReplaceDeps, time_left: Callable[[], float]) -> ReplaceBatchResult:
    """Chunk N, while the window still takes it; what Meta did not take stays overflow."""
    run, send = state.run, state.send
    chunks = run.chunks
    hard_end = send.opened_at + deps.settings.replace_window_seconds - CLOSE_MARGIN_SECONDS
    if deps.clock() >= hard_end:
        send.overflow = chunkset.union(send.overflow, [chunks])
        return ReplaceBatchResult.WINDOW_CLOSED
    # Chunk N closes the session even when the margin has passed: if Meta refuses it
    # (1870158), it stays overflow and the session closes on its own at 90 minutes.
    sent = send_replace_batch(
        deps.graph(),
        run.audience_id,
        run.schema_keys,
        deps.staging(run.run_id).chunk(chunks),
        session_id=send.session_id,
        batch_seq=chunks,
        last=True,
        estimated_total=state.pack.progress.rows_unique,
        time_left=time_left,
    )
    if sent.result is ReplaceBatchResult.SENT:
        send.calls += 1
        send.received = max(send.received, sent.received)
        send.invalid = max(send.invalid, sent.invalid)
        send.overflow = chunkset.without(send.overflow, chunks)
    elif sent.result is not ReplaceBatchResult.SESSION_LOST:
        send.overflow = chunkset.union(send.overflow, [chunks])
    return sent.result


def poll(state: Closed, deps: ReplaceDeps, time_left: Callable[[], float]) -> Closed:
    run, waiting = state.run, state.poll
    audience = read_audience(deps.graph(), run.audience_id)
    now = int(deps.clock())
    if audience.status == STATUS_REPLACE_FAILED:
        raise ReplaceFailed(f"audience {run.audience_id}: Meta reports the replace failed (operation_status 415)")
    if audience.status == STATUS_REPLACING:
        if now - waiting.since > deps.settings.replace_processing_max_seconds:
            raise ReplaceFailed(f"audience {run.audience_id}: still replacing after {now - waiting.since} s")
        deps.records.extend_lock(run.audience_id, run.run_id, until=_lock_until(deps))
        waiting.wait_seconds = next_wait(now - waiting.since, deps.settings.replace_poll_seconds)
        return state
    waiting.done, waiting.status = True, audience.status
    state.times.processed = now
    state.overflow = OverflowState(next=0, done=not state.send.overflow, rows=0, received=0, invalid=0)
    return state


def overflow(state: Processed, deps: ReplaceDeps, time_left: Callable[[], float]) -> Processed:
    """Add the chunks that missed the window with ``/users`` (the replace has finished)."""
    run, progress = state.run, state.overflow
    pending = state.send.overflow
    total = chunkset.count(pending)
    start = progress.next
    graph, store = deps.graph(), deps.staging(run.run_id)
    deps.records.extend_lock(run.audience_id, run.run_id, until=_lock_until(deps))

    def one(index: int) -> Sent:
        rows = store.chunk(chunkset.nth(pending, index))
        sent = send_add_batch(graph, run.audience_id, run.schema_keys, rows, time_left)
        return Sent(sent.result, sent.received, sent.invalid)

    round_ = send_chunks(
        range(start, total),
        one,
        concurrency=run.concurrency,
        may_start=lambda: time_left() > CALL_RESERVE_SECONDS,
        cumulative=False,
    )
    progress.next = start + len(round_.sent)  # started chunks are contiguous and all sent (errors raise)
    progress.calls += len(round_.sent)
    progress.received += round_.received
    progress.invalid += round_.invalid
    progress.done = progress.next >= total
    return state


def _lock_until(deps: ReplaceDeps) -> int:
    return int(deps.clock()) + deps.settings.replace_window_seconds + 3 * 3600

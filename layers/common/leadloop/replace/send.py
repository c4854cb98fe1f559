"""Sending staged chunks: concurrently, in order of chunk number, until done, out of time or window.

One pool of ``concurrency`` threads; a chunk is started only while the window has room and the
invocation has time for one more call. Everything started is awaited before returning, so the
caller's cursor is exact: every chunk up to ``last_taken`` was sent, except those Meta closed out
(or those whose session was lost); chunks after it were not started.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import cast

from leadloop.replace.meta import BatchResult, Sent


@dataclass
class SendRound:
    """What one invocation's sending did."""

    sent: list[int] = field(default_factory=list)
    closed_out: list[int] = field(default_factory=list)  # refused because the window had closed
    session_lost: bool = False
    #: Meta's counts: the largest answer for a replace session (they are cumulative), else the sum.
    received: int = 0
    invalid: int = 0
    stopped_early: bool = False  # time or window left no room for the next chunk
    last_taken: int = 0  # the highest chunk number started or closed out


def send_chunks[P](
    numbers: Iterable[int],
    send: Callable[[P], Sent],
    *,
    concurrency: int,
    may_start: Callable[[], bool],
    cumulative: bool,
    prepare: Callable[[int], P] | None = None,
    on_progress: Callable[[SendRound], None] | None = None,
) -> SendRound:
    """Send each chunk number in order with bounded concurrency; stop starting when told.

    ``prepare(number)`` (reading and building a chunk's payload) runs ahead on its own threads for
    the next ``concurrency`` chunks, so a free slot starts its call at once instead of spending a
    call's worth of time on preparation; ``send`` gets what ``prepare`` made (the number itself
    when there is no ``prepare``).
    """
    make = prepare or cast(Callable[[int], P], lambda number: number)
    result = SendRound()
    pending = iter(numbers)
    stop = False
    with (
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="replace-send") as pool,
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="replace-prepare") as preparer,
    ):
        running: dict[Future[Sent], int] = {}
        ahead: deque[tuple[int, Future[P]]] = deque()

        def prefetch() -> None:
            while len(ahead) < concurrency:
                number = next(pending, None)
                if number is None:
                    return
                ahead.append((number, preparer.submit(make, number)))

        def start(prepared: Future[P]) -> Sent:
            return send(prepared.result())

        def refill() -> None:
            nonlocal stop
            prefetch()
            while not stop and len(running) < concurrency and ahead:
                if not may_start():
                    result.stopped_early = True
                    stop = True
                    break
                number, prepared = ahead.popleft()
                result.last_taken = max(result.last_taken, number)
                running[pool.submit(start, prepared)] = number
                prefetch()
            if stop:
                for _, prepared in ahead:
                    prepared.cancel()

        refill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                number = running.pop(future)
                outcome = future.result()  # a raised error ends the round: the state machine retries
                if outcome.result is BatchResult.SENT:
                    result.sent.append(number)
                    if cumulative:
                        result.received = max(result.received, outcome.received)
                        result.invalid = max(result.invalid, outcome.invalid)
                    else:
                        result.received += outcome.received
                        result.invalid += outcome.invalid
                elif outcome.result is BatchResult.WINDOW_CLOSED:
                    result.closed_out.append(number)
                    stop = True
                else:
                    result.session_lost = True
                    stop = True
            refill()  # the free slot first: progress bookkeeping must not delay the next call
            if on_progress is not None:
                on_progress(result)
    return result

"""Sending staged chunks: concurrently, in order of chunk number, until done, out of time or window.

One pool of ``concurrency`` threads; a chunk is started only while the window has room and the
invocation has time for one more call. Everything started is awaited before returning, so the
caller's cursor is exact: every chunk up to ``last_taken`` was sent, except those Meta closed out
(or those whose session was lost); chunks after it were not started.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import cast

from leadloop.replace.meta import ReplaceBatchResult, Sent


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

    def add(self, number: int, outcome: Sent, *, cumulative: bool) -> bool:
        """Count one chunk's answer; True when it ends the round (window closed, session lost)."""
        if outcome.result is ReplaceBatchResult.SENT:
            self.sent.append(number)
            if cumulative:
                self.received = max(self.received, outcome.received)
                self.invalid = max(self.invalid, outcome.invalid)
            else:
                self.received += outcome.received
                self.invalid += outcome.invalid
            return False
        if outcome.result is ReplaceBatchResult.WINDOW_CLOSED:
            self.closed_out.append(number)
        else:
            self.session_lost = True
        return True


class _Slots[P]:
    """The send pool's slots, filled in chunk order with payloads prepared ahead of them."""

    def __init__(
        self,
        numbers: Iterator[int],
        send: Callable[[P], Sent],
        make: Callable[[int], P],
        *,
        pool: ThreadPoolExecutor,
        preparer: ThreadPoolExecutor,
        concurrency: int,
        may_start: Callable[[], bool],
        result: SendRound,
    ) -> None:
        self._numbers, self._send, self._make = numbers, send, make
        self._pool, self._preparer = pool, preparer
        self._concurrency, self._may_start, self._result = concurrency, may_start, result
        self.running: dict[Future[Sent], int] = {}
        self._ahead: deque[tuple[int, Future[P]]] = deque()
        self.stopped = False

    def fill(self) -> None:
        """Start chunks while a slot is free and ``may_start`` allows; prepare the next ones."""
        self._prefetch()
        while not self.stopped and len(self.running) < self._concurrency and self._ahead:
            if not self._may_start():
                self._result.stopped_early = True
                self.stopped = True
                break
            number, prepared = self._ahead.popleft()
            self._result.last_taken = max(self._result.last_taken, number)
            self.running[self._pool.submit(self._start, prepared)] = number
            self._prefetch()
        if self.stopped:
            for _, prepared in self._ahead:
                prepared.cancel()

    def completed(self) -> Iterator[tuple[int, Sent]]:
        """Wait for at least one running chunk; yield each finished one with Meta's answer."""
        done, _ = wait(self.running, return_when=FIRST_COMPLETED)
        for future in done:
            number = self.running.pop(future)
            yield number, future.result()  # a raised error ends the round: the state machine retries

    def _prefetch(self) -> None:
        while len(self._ahead) < self._concurrency:
            number = next(self._numbers, None)
            if number is None:
                return
            self._ahead.append((number, self._preparer.submit(self._make, number)))

    def _start(self, prepared: Future[P]) -> Sent:
        return self._send(prepared.result())


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
    with (
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="replace-send") as pool,
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="replace-prepare") as preparer,
    ):
        slots = _Slots(
            iter(numbers),
            send,
            make,
            pool=pool,
            preparer=preparer,
            concurrency=concurrency,
            may_start=may_start,
            result=result,
        )
        slots.fill()
        while slots.running:
            for number, outcome in slots.completed():
                if result.add(number, outcome, cumulative=cumulative):
                    slots.stopped = True
            slots.fill()  # the free slot first: progress bookkeeping must not delay the next call
            if on_progress is not None:
                on_progress(result)
    return result

"""send_chunks: bounded concurrency, stopping rules, and what a round reports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from leadloop.replace.meta import ReplaceBatchResult, Sent
from leadloop.replace.send import SendRound, send_chunks


class Recorder:
    """A send function that counts calls in flight; ``results`` overrides chunk outcomes."""

    def __init__(
        self,
        delay: float = 0.0,
        results: dict[int, ReplaceBatchResult] | None = None,
        hold: Callable[[int], object] | None = None,
    ) -> None:
        self.delay = delay
        self.hold = hold
        self.results = results or {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.started: list[int] = []
        self.finished: list[int] = []

    def __call__(self, number: int) -> Sent:
        with self.lock:
            self.started.append(number)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.hold is not None:
                self.hold(number)
            time.sleep(self.delay)
            return Sent(self.results.get(number, ReplaceBatchResult.SENT), received=number * 10, invalid=number)
        finally:
            with self.lock:
                self.in_flight -= 1
                self.finished.append(number)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_bound_is_respected_and_reached(concurrency: int) -> None:
    together = threading.Barrier(concurrency, timeout=5)  # the first ones are all in flight at once, or time out
    send = Recorder(delay=0.005, hold=lambda n: n <= concurrency and together.wait() >= 0)
    result = send_chunks(range(1, 11), send, concurrency=concurrency, may_start=lambda: True, cumulative=False)
    assert send.max_in_flight == concurrency
    assert sorted(result.sent) == sorted(send.started) == list(range(1, 11))
    if concurrency == 1:
        assert send.started == list(range(1, 11))  # in chunk order
    assert result.last_taken == 10 and not result.stopped_early
    assert result.closed_out == [] and not result.session_lost


def test_may_start_false_stops_starting_but_waits_for_running() -> None:
    send = Recorder(delay=0.05)
    asked = 0

    def may_start() -> bool:
        nonlocal asked
        asked += 1
        return asked <= 4

    result = send_chunks(range(2, 20), send, concurrency=3, may_start=may_start, cumulative=True)
    assert sorted(send.started) == [2, 3, 4, 5]
    assert sorted(send.finished) == [2, 3, 4, 5]  # all awaited before returning
    assert sorted(result.sent) == [2, 3, 4, 5]
    assert result.stopped_early and result.last_taken == 5


def test_nothing_to_send() -> None:
    result = send_chunks([], Recorder(), concurrency=2, may_start=lambda: True, cumulative=True)
    assert result == SendRound()


def test_no_room_at_all_starts_nothing() -> None:
    send = Recorder()
    result = send_chunks(range(1, 4), send, concurrency=2, may_start=lambda: False, cumulative=True)
    assert send.started == [] and result.sent == [] and result.stopped_early and result.last_taken == 0


def _gated(stop_result: ReplaceBatchResult) -> tuple[list[int], SendRound]:
    """Chunk 3 answers ``stop_result`` at once; 2 and 4 finish only after that answer was handled."""
    handled = threading.Event()
    started: list[int] = []

    def send(number: int) -> Sent:
        started.append(number)
        if number == 3:
            return Sent(stop_result)
        assert handled.wait(5), "the round never handled chunk 3"
        return Sent(ReplaceBatchResult.SENT, received=number)

    def progress(round_: SendRound) -> None:
        if round_.closed_out or round_.session_lost:
            handled.set()

    result = send_chunks(
        range(2, 12), send, concurrency=3, may_start=lambda: True, cumulative=True, on_progress=progress
    )
    return started, result


def test_window_closed_stops_new_starts_and_is_reported() -> None:
    started, result = _gated(ReplaceBatchResult.WINDOW_CLOSED)
    assert sorted(started) == [2, 3, 4]
    assert result.closed_out == [3] and sorted(result.sent) == [2, 4]
    assert result.last_taken == 4 and not result.session_lost and not result.stopped_early


def test_session_lost_stops_new_starts_and_is_reported() -> None:
    started, result = _gated(ReplaceBatchResult.SESSION_LOST)
    assert sorted(started) == [2, 3, 4]
    assert result.session_lost and result.closed_out == [] and sorted(result.sent) == [2, 4]
    assert result.last_taken == 4


def test_window_closed_in_order_with_one_worker() -> None:
    send = Recorder(results={4: ReplaceBatchResult.WINDOW_CLOSED})
    result = send_chunks(range(1, 9), send, concurrency=1, may_start=lambda: True, cumulative=True)
    assert send.started == [1, 2, 3, 4]
    assert result.sent == [1, 2, 3] and result.closed_out == [4] and result.last_taken == 4


def test_cumulative_counts_take_the_largest_answer() -> None:
    answers = {1: (100, 1), 2: (300, 5), 3: (200, 2)}

    def send(number: int) -> Sent:
        return Sent(ReplaceBatchResult.SENT, *answers[number])

    result = send_chunks(range(1, 4), send, concurrency=2, may_start=lambda: True, cumulative=True)
    assert (result.received, result.invalid) == (300, 5)
    summed = send_chunks(range(1, 4), send, concurrency=2, may_start=lambda: True, cumulative=False)
    assert (summed.received, summed.invalid) == (600, 8)


def test_numbers_start_at_zero_for_overflow_indexes() -> None:
    send = Recorder()
    result = send_chunks(range(0, 3), send, concurrency=2, may_start=lambda: True, cumulative=False)
    assert sorted(result.sent) == [0, 1, 2] and result.received == 30 and result.last_taken == 2


def test_an_exception_in_a_send_propagates() -> None:
    started: list[int] = []

    def send(number: int) -> Sent:
        started.append(number)
        if number == 2:
            raise RuntimeError("graph exploded")
        return Sent(ReplaceBatchResult.SENT)

    with pytest.raises(RuntimeError, match="graph exploded"):
        send_chunks(range(1, 50), send, concurrency=1, may_start=lambda: True, cumulative=True)
    assert started == [1, 2]


def test_progress_is_reported_after_each_completion() -> None:
    seen: list[list[int]] = []
    send_chunks(
        range(1, 5),
        Recorder(),
        concurrency=1,
        may_start=lambda: True,
        cumulative=True,
        on_progress=lambda r: seen.append(list(r.sent)),
    )
    assert seen == [[1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]


def test_a_sent_chunk_is_counted_and_the_round_goes_on() -> None:
    # Given an empty round
    round_ = SendRound()
    # When Meta accepted chunk 2
    ends = round_.add(2, Sent(ReplaceBatchResult.SENT, received=20, invalid=1), cumulative=True)
    # Then the round goes on with the chunk counted
    assert ends is False
    assert (round_.sent, round_.received, round_.invalid) == ([2], 20, 1)


@pytest.mark.parametrize(
    ("result", "closed_out", "session_lost"),
    [(ReplaceBatchResult.WINDOW_CLOSED, [5], False), (ReplaceBatchResult.SESSION_LOST, [], True)],
)
def test_a_refused_chunk_ends_the_round(result: ReplaceBatchResult, closed_out: list[int], session_lost: bool) -> None:
    # Given an empty round
    round_ = SendRound()
    # When Meta refused chunk 5
    ends = round_.add(5, Sent(result), cumulative=True)
    # Then the round ends, saying why
    assert ends is True
    assert (round_.closed_out, round_.session_lost) == (closed_out, session_lost)

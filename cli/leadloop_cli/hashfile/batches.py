"""Hashing rows in batches, in this process or on several cores, with the results in input order.

The reader (one process: it owns the file, the row numbers and the stray-quote guard) groups the
rows to hash into :class:`Batch` es of at most :data:`BATCH_ROWS` rows and :data:`BATCH_CHARS`
characters. :func:`hash_batch` turns one into a :class:`Done`: the JSON lines to write, already
joined, and for each row that has something to report its rejected cells or that it came out
empty. The caller replays a batch's rows in order, so the report is the same whatever ran them.

With ``jobs`` > 1, :func:`hashed_batches` hands batches to ``jobs`` worker processes, each on its
own pipe (:class:`_Lanes`), and yields the results in the order the batches were made. One batch
per worker is in flight: the reader takes the oldest result before it sends more, so memory stays
flat however large the file. A ``multiprocessing.Pool`` did the same with three threads of its own
in the reader's process, which cost the reader (the one part that cannot run in parallel) about as
much CPU as reading the CSV: on 1,000,000 rows, 9.4 s of reader CPU against 5.8 s with plain
pipes (``bench/hash_file_jobs.py``). Workers are started with the ``forkserver`` method where there
is one (``spawn`` elsewhere): a clean, small process that imports only the hasher, not a copy of
the reader.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Collection, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Protocol

from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.writer import encode_row

__all__ = ["BATCH_CHARS", "BATCH_ROWS", "Batch", "Done", "HashJob", "hash_batch", "hashed_batches"]

BATCH_ROWS = 1000
"""Rows per batch: enough to make the trip to a worker cheap per row."""

BATCH_CHARS = 1 << 20
"""Characters of used cells per batch: a few huge cells must not make a batch huge."""


class HashedRowLike(Protocol):
    """What ``hash_row`` returns: the payload cells and the (key, reason) of each rejected cell."""

    @property
    def cells(self) -> Sequence[object]: ...

    @property
    def rejected(self) -> Sequence[tuple[str, str]]: ...


class RowHasher(Protocol):
    """The signature of ``leadloop.audience.hash_row``."""

    def __call__(
        self,
        record: Mapping[str, str],
        schema: Sequence[str],
        *,
        default_country: str | None = ...,
        prehashed: Collection[str] = ...,
    ) -> HashedRowLike: ...


@dataclass(frozen=True, slots=True)
class HashJob:
    """What every batch of a run shares: record keys in value order, the schema and the hashing options."""

    keys: tuple[str, ...]
    schema: tuple[str, ...]
    hasher: RowHasher
    default_country: str | None = None
    prehashed: frozenset[str] = frozenset()


@dataclass(slots=True)
class Batch:
    """Rows in input order: ``(row number, reason)``, reason None for a row to hash (its values in ``values``)."""

    rows: list[tuple[int, str | None]] = field(default_factory=list)
    values: list[list[str]] = field(default_factory=list)
    chars: int = 0

    def take(self) -> Batch:
        """This batch's rows as a new batch, leaving this one empty to fill again."""
        full = Batch(self.rows, self.values, self.chars)
        self.rows, self.values, self.chars = [], [], 0
        return full


@dataclass(frozen=True, slots=True)
class Done:
    """A hashed batch: the lines to write, how many, and ``(index in values, rejected, empty)`` worth reporting."""

    text: str
    written: int
    events: list[tuple[int, list[tuple[str, str]], bool]]


def hash_batch(job: HashJob, values: list[list[str]]) -> Done:
    """Hash the rows of one batch; rows whose cells all came out empty are not written."""
    keys, schema, hasher = job.keys, job.schema, job.hasher
    default_country, prehashed = job.default_country, job.prehashed
    lines: list[str] = []
    events: list[tuple[int, list[tuple[str, str]], bool]] = []
    for index, row in enumerate(values):
        result = hasher(dict(zip(keys, row, strict=True)), schema, default_country=default_country, prehashed=prehashed)
        empty = not any(result.cells)  # cells are strings: "" is the only empty one
        if not empty:
            lines.append(encode_row(result.cells))
        if empty or result.rejected:
            events.append((index, list(result.rejected), empty))
    return Done("".join(lines), len(lines), events)


class _Failed:
    """A worker's exception, sent back in place of a result (raised again by the reader)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _lane(connection: Connection, job: HashJob) -> None:
    """A worker process: hash each batch it receives and send the result back, until told to stop."""
    try:
        while (values := connection.recv()) is not None:
            try:
                result: Done | _Failed = hash_batch(job, values)
            except Exception as exc:  # the run fails in the reader, with this error
                result = _Failed(exc)
            connection.send(result)
    except (EOFError, OSError):
        pass  # the reader stopped (a failed run): nothing is left to answer
    finally:
        connection.close()


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class _Lanes:
    """``jobs`` worker processes, each with its own pipe, fed round robin with one batch in flight.

    Round robin keeps the order for free: batch ``i`` goes to lane ``i % jobs``, and each lane
    answers in the order it was fed, so the oldest batch in flight is always the next lane's.
    One batch per lane in flight means the reader takes a lane's result before it sends it the
    next batch, so neither side can block the other on a full pipe.
    """

    def __init__(self, job: HashJob, jobs: int) -> None:
        context = _context()
        self._pipes: list[Connection] = []
        self._workers: list[BaseProcess] = []
        for _ in range(jobs):
            mine, theirs = context.Pipe()
            worker = context.Process(target=_lane, args=(theirs, job), daemon=True)  # type: ignore[attr-defined]
            worker.start()
            theirs.close()
            self._pipes.append(mine)
            self._workers.append(worker)
        self._busy: deque[tuple[Batch, Connection]] = deque()
        self._next = 0

    @property
    def full(self) -> bool:
        return len(self._busy) >= len(self._pipes)

    def send(self, batch: Batch) -> None:
        pipe = self._pipes[self._next]
        self._next = (self._next + 1) % len(self._pipes)
        pipe.send(batch.values)
        self._busy.append((batch, pipe))

    def oldest(self) -> tuple[Batch, Done] | None:
        if not self._busy:
            return None
        batch, pipe = self._busy.popleft()
        result = pipe.recv()
        if isinstance(result, _Failed):
            raise result.error
        return batch, result

    def close(self, *, finished: bool) -> None:
        for pipe in self._pipes:
            if finished:
                pipe.send(None)
            pipe.close()
        for worker in self._workers:
            if finished:
                worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
                worker.join()


def hashed_batches(job: HashJob, batches: Iterable[Batch], jobs: int) -> Generator[tuple[Batch, Done]]:
    """Each batch with its result, in the order given; ``jobs`` > 1 spreads them over worker processes."""
    if jobs <= 1:
        for batch in batches:
            yield batch, hash_batch(job, batch.values)
        return
    lanes = _Lanes(job, jobs)
    finished = False
    try:
        try:
            for batch in batches:
                if lanes.full and (done := lanes.oldest()) is not None:
                    yield done
                lanes.send(batch)
        except HashFileError:
            # The reader stopped the run: what it read before goes out first, as with one process.
            while (done := lanes.oldest()) is not None:
                yield done
            raise
        while (done := lanes.oldest()) is not None:
            yield done
        finished = True
    finally:
        lanes.close(finished=finished)

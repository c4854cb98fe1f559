"""Hashing rows in batches, in this process or on several cores, with the results in input order.

The reader (one process: it owns the file, the row numbers and the stray-quote guard) groups the
rows to hash into :class:`Batch` es of at most :data:`BATCH_ROWS` rows and :data:`BATCH_CHARS`
characters. :func:`hash_batch` turns one into a :class:`Done`: the JSON lines to write, already
joined, and for each row that has something to report its rejected cells or that it came out
empty. The caller replays a batch's rows in order, so the report is the same whatever ran them.

With ``jobs`` > 1, :func:`hashed_batches` hands batches to a pool of worker processes and yields
the results in the order the batches were made. At most ``2 * jobs`` batches are in flight: the
reader waits for the oldest before it reads on, so memory stays flat however large the file
(``Pool.imap`` would read the whole file ahead into its task queue). Workers are started with the
``forkserver`` method where there is one (``spawn`` elsewhere): a clean, small process that imports
only the hasher, not a copy of the reader.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Collection, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from typing import Protocol

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


# A worker process serves one run: its job is set once, as it starts, and not sent with each batch.
_WORKER_JOB: list[HashJob] = []


def _start_worker(job: HashJob) -> None:
    _WORKER_JOB[:] = [job]


def _hash_in_worker(values: list[list[str]]) -> Done:
    return hash_batch(_WORKER_JOB[0], values)


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def hashed_batches(job: HashJob, batches: Iterable[Batch], jobs: int) -> Generator[tuple[Batch, Done]]:
    """Each batch with its result, in the order given; ``jobs`` > 1 spreads them over worker processes."""
    if jobs <= 1:
        for batch in batches:
            yield batch, hash_batch(job, batch.values)
        return
    pool: Pool = _context().Pool(jobs, initializer=_start_worker, initargs=(job,))
    pending: deque[tuple[Batch, AsyncResult[Done]]] = deque()
    try:
        try:
            for batch in batches:
                pending.append((batch, pool.apply_async(_hash_in_worker, (batch.values,))))
                if len(pending) >= 2 * jobs:
                    oldest, result = pending.popleft()
                    yield oldest, result.get()
        except Exception:
            # The reader stopped the run: what it read before goes out first, as with one process.
            while pending:
                oldest, result = pending.popleft()
                yield oldest, result.get()
            raise
        while pending:
            oldest, result = pending.popleft()
            yield oldest, result.get()
        pool.close()
        pool.join()
    finally:
        pool.terminate()

"""Pack: dedupe each partition and cut the unique rows into chunks of at most ``chunk_rows``.

Partitions are disjoint by row digest, so a set of 16-byte digests per partition removes every
duplicate. Rows stream from part files into chunk files; only the last chunk may be short. When
the time budget ends between partitions, the rows of the unfinished chunk are saved as the tail and
the next invocation starts from there, so chunk numbers stay dense (1..N). Each invocation packs at
least one partition, and its output depends only on its starting state, so a retry rewrites the
same chunk files with the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from leadloop.replace.partition import PARTITIONS, row_digest
from leadloop.replace.staging_bucket import Row, StagingStore

PACK_RESERVE_SECONDS = 90.0


@dataclass
class PackProgress:
    """Totals across invocations (kept in the state as ``pack.progress``)."""

    next_partition: int = 0
    chunks: int = 0
    rows_unique: int = 0
    duplicates: int = 0
    has_tail: bool = False

    def as_state(self) -> dict[str, Any]:
        return asdict(self)


def pack_slice(
    store: StagingStore,
    progress: PackProgress,
    *,
    chunk_rows: int,
    time_left: Callable[[], float],
    partitions: int = PARTITIONS,
    reserve: float = PACK_RESERVE_SECONDS,
) -> bool:
    """Pack partitions until all are done (True, last chunk written) or the budget ends (False)."""
    start = progress.next_partition
    pending: list[Row] = list(store.rows(store.tail_key(start))) if progress.has_tail else []

    def emit_full() -> None:
        nonlocal pending
        while len(pending) >= chunk_rows:
            progress.chunks += 1
            store.put_rows(store.chunk_key(progress.chunks), pending[:chunk_rows])
            pending = pending[chunk_rows:]

    while progress.next_partition < partitions:
        if progress.next_partition > start and time_left() < reserve:
            # Keyed by partition: a retried invocation re-reads the tail it started from.
            store.put_rows(store.tail_key(progress.next_partition), pending)
            progress.has_tail = True
            return False
        seen: set[bytes] = set()
        for key in store.part_keys(progress.next_partition):
            for row in store.rows(key):
                digest = row_digest(row)
                if digest in seen:
                    progress.duplicates += 1
                    continue
                seen.add(digest)
                pending.append(row)
                progress.rows_unique += 1
                if len(pending) >= chunk_rows:
                    emit_full()
        progress.next_partition += 1
    emit_full()
    if pending:
        progress.chunks += 1
        store.put_rows(store.chunk_key(progress.chunks), pending)
    progress.has_tail = False
    return True

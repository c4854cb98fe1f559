"""Stage: read the source from its cursor, hash, and write partitioned parts until the time budget ends.

The window at Meta has not opened yet, so this step may take as many invocations as the source
needs; each returns its cursor and counts, and the state machine loops until the source is done.
A retried invocation rewrites the same part keys (they are numbered by invocation), and pack
dedupes anyway, so a crash never stages a row twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from leadloop.replace.partition import PART_BYTES, PARTITIONS, PartitionWriter
from leadloop.replace.sources import RowSource
from leadloop.replace.staging_bucket import StagingStore
from leadloop.rows.policy import identifies

#: Seconds kept in hand to flush buffers and return.
STAGE_RESERVE_SECONDS = 60.0
_CHECK_EVERY = 2000


@dataclass
class StageProgress:
    """Totals across invocations (kept in the state as ``stage.progress``; counts and reasons only)."""

    rows_read: int = 0
    rows_staged: int = 0
    rows_without_identifiers: int = 0
    cells_rejected: dict[str, int] = field(default_factory=dict)
    invocations: int = 0

    def as_state(self) -> dict[str, Any]:
        return asdict(self)


def stage_slice(
    source: RowSource,
    store: StagingStore,
    progress: StageProgress,
    *,
    time_left: Callable[[], float],
    partitions: int = PARTITIONS,
    part_bytes: int = PART_BYTES,
    reserve: float = STAGE_RESERVE_SECONDS,
) -> bool:
    """Stage rows until the source ends (True) or the budget does (False); updates ``progress``."""
    writer_id = progress.invocations
    sequence = Counter[int]()

    def flush(partition: int, blob: bytes) -> None:
        sequence[partition] += 1
        store.put(store.part_key(partition, writer_id, sequence[partition]), blob)

    writer = PartitionWriter(flush, partitions=partitions, part_bytes=part_bytes)
    rejected = Counter[str]()
    schema = source.schema
    finished = True
    read = without = 0
    for count, hashed in enumerate(source.rows(), start=1):
        read += 1
        for key, reason in hashed.rejected:
            rejected[f"{key}:{reason}"] += 1
        if identifies(schema, hashed.cells):
            writer.add(hashed.cells)
        else:
            without += 1
        if count % _CHECK_EVERY == 0 and time_left() < reserve:
            finished = False
            break
    writer.close()
    progress.invocations += 1
    progress.rows_read += read
    progress.rows_staged += writer.rows
    progress.rows_without_identifiers += without
    merged = dict(progress.cells_rejected)
    for reason, n in rejected.items():
        merged[reason] = merged.get(reason, 0) + n
    progress.cells_rejected = dict(sorted(merged.items()))  # sorted: the operator reads them in the outcome
    return finished

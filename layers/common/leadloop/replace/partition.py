"""Spreading staged rows over partitions by a digest of the row, so dedupe needs no global set.

Identical rows always land in the same partition; a partition of a 100M-row source is small
enough (100M / PARTITIONS) for one set of 16-byte digests in a Lambda's memory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Callable, Sequence

PARTITIONS = 64
#: Flush a partition's buffer to S3 once it holds this many compressed bytes.
PART_BYTES = 8 * 1024 * 1024


def row_digest(row: Sequence[str]) -> bytes:
    """16 bytes that identify a row's cells (order matters: the schema is fixed per run)."""
    return hashlib.blake2b("\x1f".join(row).encode(), digest_size=16).digest()


def partition_of(digest: bytes, partitions: int = PARTITIONS) -> int:
    return int.from_bytes(digest[:4], "big") % partitions


class PartitionWriter:
    """Buffers gzip JSON lines per partition and hands full buffers to ``flush(partition, blob)``."""

    def __init__(
        self,
        flush: Callable[[int, bytes], None],
        *,
        partitions: int = PARTITIONS,
        part_bytes: int = PART_BYTES,
    ) -> None:
        self._flush = flush
        self.partitions = partitions
        self._part_bytes = part_bytes
        self._buffers: dict[int, tuple[io.BytesIO, gzip.GzipFile]] = {}
        self.rows = 0

    def add(self, row: Sequence[str]) -> None:
        partition = partition_of(row_digest(row), self.partitions)
        entry = self._buffers.get(partition)
        if entry is None:
            buffer = io.BytesIO()
            entry = self._buffers[partition] = (
                buffer,
                gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1, mtime=0),
            )
        entry[1].write(json.dumps(list(row), separators=(",", ":")).encode() + b"\n")
        self.rows += 1
        if entry[0].tell() >= self._part_bytes:
            self._emit(partition)

    def close(self) -> None:
        """Flush every partition that holds rows."""
        for partition in sorted(self._buffers):
            self._emit(partition)

    def _emit(self, partition: int) -> None:
        buffer, stream = self._buffers.pop(partition)
        stream.close()
        self._flush(partition, buffer.getvalue())

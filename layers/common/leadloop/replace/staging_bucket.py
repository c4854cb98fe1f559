"""StagingBucket layout and I/O for one replace run; hashed rows only, gzip JSON lines.

``replace/{run}/parts/{partition:03d}/{writer:05d}-{seq:05d}.jsonl.gz``
    rows as staged, partitioned by row digest so each partition dedupes on its own;
``replace/{run}/tails/{partition:03d}.jsonl.gz``
    rows packed but not yet a full chunk when a pack invocation ended before that partition;
``replace/{run}/chunks/{n:06d}.jsonl.gz``
    chunk ``n`` (1-based): at most 10,000 unique rows, one ``/usersreplace`` or ``/users`` call.

The bucket's lifecycle rule expires ``replace/`` after a few days; nothing here holds raw PII.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.replace.errors import StagingError

Row = list[str]


def encode_rows(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1, mtime=0) as out:
        for row in rows:
            out.write(json.dumps(row, separators=(",", ":")).encode())
            out.write(b"\n")
    return buffer.getvalue()


def decode_rows(blob: bytes) -> Iterator[Row]:
    with gzip.GzipFile(fileobj=io.BytesIO(blob), mode="rb") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


class StagingStore:
    """One run's objects in the staging bucket."""

    def __init__(self, client: Any, bucket: str, run_id: str) -> None:
        self._s3 = client
        self.bucket = bucket
        self.prefix = f"replace/{run_id}/"

    def part_key(self, partition: int, writer: int, seq: int) -> str:
        return f"{self.prefix}parts/{partition:03d}/{writer:05d}-{seq:05d}.jsonl.gz"

    def chunk_key(self, number: int) -> str:
        return f"{self.prefix}chunks/{number:06d}.jsonl.gz"

    def tail_key(self, partition: int) -> str:
        return f"{self.prefix}tails/{partition:03d}.jsonl.gz"

    def put(self, key: str, blob: bytes) -> None:
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=blob, ContentType="application/gzip")
        except (ClientError, BotoCoreError) as exc:
            raise StagingError(f"writing s3://{self.bucket}/{key} failed: {_code(exc)}") from None

    def put_rows(self, key: str, rows: Sequence[Sequence[str]]) -> None:
        self.put(key, encode_rows(rows))

    def rows(self, key: str) -> Iterator[Row]:
        try:
            blob = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise StagingError(f"reading s3://{self.bucket}/{key} failed: {_code(exc)}") from None
        return decode_rows(blob)

    def chunk(self, number: int) -> list[Row]:
        return list(self.rows(self.chunk_key(number)))

    def part_keys(self, partition: int) -> list[str]:
        """Every part of a partition, in write order."""
        prefix = f"{self.prefix}parts/{partition:03d}/"
        keys: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            try:
                answer = self._s3.list_objects_v2(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise StagingError(f"listing s3://{self.bucket}/{prefix} failed: {_code(exc)}") from None
            keys += [item["Key"] for item in answer.get("Contents", [])]
            if not answer.get("IsTruncated"):
                return sorted(keys)
            kwargs["ContinuationToken"] = answer["NextContinuationToken"]


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__

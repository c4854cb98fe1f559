"""stage_slice then pack_slice over moto S3: both resume across invocations and pack is deterministic."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from leadloop.audience import hash_row
from leadloop.replace import stage
from leadloop.replace.pack import PackProgress, pack_slice
from leadloop.replace.partition import PartitionWriter, partition_of, row_digest
from leadloop.replace.sources import S3CsvRows
from leadloop.replace.stage import StageProgress, stage_slice
from leadloop.replace.staging_bucket import StagingStore, decode_rows, encode_rows
from tests.support.moto_stack import UNIT_BUCKET as BUCKET

RUN = "run-1"
PARTITIONS = 8
SCHEMA = ["EXTERN_ID", "EMAIL"]
RECORDS = 130
DISTINCT = 47


def records() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for n in range(RECORDS):
        out.append(("", "not-an-email") if n % 10 == 9 else (f"u{n % DISTINCT}", f"p{n % DISTINCT}@example.com"))
    return out


def distinct_rows() -> set[tuple[str, ...]]:
    return {tuple(hash_row({"EXTERN_ID": i, "EMAIL": e}, SCHEMA).cells) for i, e in records() if i}


@pytest.fixture
def csv_key(s3: Any) -> str:
    body = "Id,Email\r\n" + "".join(f"{i},{e}\r\n" for i, e in records())
    s3.put_object(Bucket=BUCKET, Key="people.csv", Body=body.encode())
    return "people.csv"


def csv_source(s3: Any, key: str, cursor: Any) -> S3CsvRows:
    return S3CsvRows(s3, BUCKET, key, {"Id": "EXTERN_ID", "Email": "EMAIL"}, default_country=None, cursor=cursor)


def objects(s3: Any, prefix: str) -> dict[str, bytes]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


def stage_all(s3: Any, key: str, store: StagingStore, **kwargs: Any) -> list[tuple[Any, dict[str, Any]]]:
    """Invocations until the source is done; each entry is the (cursor, progress) it started from."""
    started: list[tuple[Any, dict[str, Any]]] = []
    cursor: Any = None
    progress = StageProgress()
    while True:
        started.append((cursor, progress.as_state()))
        source = csv_source(s3, key, cursor)
        if stage_slice(source, store, progress, time_left=lambda: 0.0, partitions=PARTITIONS, **kwargs):
            return [*started, (None, progress.as_state())]
        cursor = source.cursor()
        assert len(started) < 100


def pack_all(store: StagingStore, chunk_rows: int, start: PackProgress | None = None) -> list[dict[str, Any]]:
    """One partition per invocation (the budget is always spent); the progress before each, then the last."""
    progress = start or PackProgress()
    seen: list[dict[str, Any]] = []
    while True:
        seen.append(progress.as_state())
        if pack_slice(
            store, progress, chunk_rows=chunk_rows, time_left=lambda: 0.0, partitions=PARTITIONS, reserve=1e9
        ):
            return [*seen, progress.as_state()]
        assert len(seen) < 100


def chunk_rows_of(blobs: dict[str, bytes]) -> list[list[list[str]]]:
    return [list(decode_rows(blobs[key])) for key in sorted(blobs)]


def test_stage_then_pack_across_invocations(s3: Any, csv_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage, "_CHECK_EVERY", 9)
    store = StagingStore(s3, BUCKET, RUN)
    staged = stage_all(s3, csv_key, store)
    final = staged[-1][1]
    assert final["invocations"] == len(staged) - 1 == math.ceil(RECORDS / 9)
    assert final["rows_read"] == RECORDS
    assert final["rows_without_identifiers"] == RECORDS // 10
    assert final["rows_staged"] == RECORDS - RECORDS // 10
    assert sum(final["cells_rejected"].values()) == RECORDS // 10
    assert all(reason.startswith("EMAIL:") for reason in final["cells_rejected"])

    parts = objects(s3, store.prefix + "parts/")
    staged_rows = [tuple(row) for blob in parts.values() for row in decode_rows(blob)]
    assert len(staged_rows) == final["rows_staged"] and set(staged_rows) == distinct_rows()
    for key, blob in parts.items():  # every row sits in the partition its digest names
        partition = int(key.split("/")[3])
        assert {partition_of(row_digest(row), PARTITIONS) for row in decode_rows(blob)} == {partition}

    packed = pack_all(store, chunk_rows=5)
    done = packed[-1]
    assert len(packed) - 1 == PARTITIONS  # one partition per invocation: the budget ended between them
    assert any(state["has_tail"] for state in packed[1:-1])
    assert done["rows_unique"] == DISTINCT and done["duplicates"] == final["rows_staged"] - DISTINCT
    assert done["has_tail"] is False and done["next_partition"] == PARTITIONS

    chunks = objects(s3, store.prefix + "chunks/")
    assert sorted(chunks) == [store.chunk_key(n) for n in range(1, done["chunks"] + 1)]
    assert done["chunks"] == math.ceil(DISTINCT / 5)
    rows = chunk_rows_of(chunks)
    assert [len(chunk) for chunk in rows[:-1]] == [5] * (len(rows) - 1)
    assert 1 <= len(rows[-1]) <= 5
    flat = [tuple(row) for chunk in rows for row in chunk]
    assert len(flat) == len(set(flat)) and set(flat) == distinct_rows()


def test_a_retried_pack_rewrites_identical_chunks(s3: Any, csv_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage, "_CHECK_EVERY", 25)
    store = StagingStore(s3, BUCKET, RUN)
    stage_all(s3, csv_key, store)
    packed = pack_all(store, chunk_rows=4)
    chunks = objects(s3, store.prefix + "chunks/")
    for before, after in itertools.pairwise(packed):
        # A crashed invocation is retried with the state it started from; drop what it wrote first.
        for number in range(before["chunks"] + 1, after["chunks"] + 1):
            s3.delete_object(Bucket=BUCKET, Key=store.chunk_key(number))
        progress = PackProgress(**before)
        pack_slice(store, progress, chunk_rows=4, time_left=lambda: 0.0, partitions=PARTITIONS, reserve=1e9)
        assert progress.as_state() == after
        assert objects(s3, store.prefix + "chunks/") == chunks

    # A retry with a different budget (all the time in the world) ends with the same chunks too.
    middle = PackProgress(**packed[len(packed) // 2])
    assert pack_slice(store, middle, chunk_rows=4, time_left=lambda: 1e9, partitions=PARTITIONS, reserve=0)
    assert middle.as_state() == packed[-1]
    assert objects(s3, store.prefix + "chunks/") == chunks


def test_pack_in_one_invocation_equals_pack_in_many(s3: Any, csv_key: str) -> None:
    store = StagingStore(s3, BUCKET, RUN)
    stage_all(s3, csv_key, store)
    one = PackProgress()
    assert pack_slice(store, one, chunk_rows=6, time_left=lambda: 1e9, partitions=PARTITIONS, reserve=0)
    single = objects(s3, store.prefix + "chunks/")
    other = StagingStore(s3, BUCKET, RUN)
    for key in single:
        s3.delete_object(Bucket=BUCKET, Key=key)
    assert pack_all(other, chunk_rows=6)[-1] == one.as_state()
    assert objects(s3, store.prefix + "chunks/") == single


def test_a_retried_stage_rewrites_the_same_parts(s3: Any, csv_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage, "_CHECK_EVERY", 20)
    store = StagingStore(s3, BUCKET, RUN)
    started = stage_all(s3, csv_key, store, part_bytes=1)  # a part per row: sequence numbers matter
    parts = objects(s3, store.prefix + "parts/")
    cursor, before = started[2]
    progress = StageProgress(**before)
    assert not stage_slice(
        csv_source(s3, csv_key, cursor), store, progress, time_left=lambda: 0.0, partitions=PARTITIONS, part_bytes=1
    )
    assert progress.as_state() == started[3][1]
    assert objects(s3, store.prefix + "parts/") == parts


def test_stage_with_time_to_spare_finishes_in_one_invocation(s3: Any, csv_key: str) -> None:
    store = StagingStore(s3, BUCKET, RUN)
    progress = StageProgress()
    source = csv_source(s3, csv_key, None)
    assert stage_slice(source, store, progress, time_left=lambda: 1e9, partitions=PARTITIONS)
    assert progress.invocations == 1 and progress.rows_read == RECORDS
    assert StageProgress(**progress.as_state()) == progress


def test_empty_source_packs_no_chunk(s3: Any) -> None:
    store = StagingStore(s3, BUCKET, RUN)
    progress = PackProgress()
    assert pack_slice(store, progress, chunk_rows=3, time_left=lambda: 1e9, partitions=PARTITIONS, reserve=0)
    assert progress.chunks == 0 and progress.rows_unique == 0
    assert objects(s3, store.prefix + "chunks/") == {}


def test_partition_writer_flushes_full_buffers_and_everything_on_close() -> None:
    flushed: list[tuple[int, bytes]] = []
    writer = PartitionWriter(lambda p, blob: flushed.append((p, blob)), partitions=4, part_bytes=1)
    rows = [[f"r{n}", ""] for n in range(10)]
    for row in rows:
        writer.add(row)
    assert len(flushed) == 10  # part_bytes=1: every row fills its buffer
    writer.close()
    assert writer.rows == 10 and len(flushed) == 10
    writer = PartitionWriter(lambda p, blob: flushed.append((p, blob)), partitions=4)
    for row in rows:
        writer.add(row)
    writer.close()
    batch = flushed[10:]
    assert [p for p, _ in batch] == sorted({p for p, _ in batch})  # one blob per partition, in order
    assert sorted(row for _, blob in batch for row in decode_rows(blob)) == sorted(rows)
    assert all(partition_of(row_digest(r), 4) == p for p, blob in batch for r in decode_rows(blob))


def test_encode_rows_is_deterministic_and_round_trips() -> None:
    rows = [["a", "é"], ["", "x\ny"]]
    assert encode_rows(rows) == encode_rows(rows)
    assert list(decode_rows(encode_rows(rows))) == rows
    assert list(decode_rows(encode_rows([]))) == []

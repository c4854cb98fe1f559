"""``hash_file`` on several processes: the same bytes out and the same report as on one, in input order."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest

from leadloop_cli.hashfile import HashFileError, HashOptions, Progress, hash_file, pipeline
from leadloop_cli.hashfile.batches import Batch, HashJob, hashed_batches
from leadloop_cli.hashfile.pipeline import AUTO_JOBS_BYTES, jobs_for

from .fakes import FakeHasher
from .test_pipeline import MIXED


def _messy_rows(count: int) -> bytes:
    """Clean rows with every kind of rejection mixed in, at positions that straddle the batches."""
    lines = [b"Email,Phone,First Name,Notes\n"]
    for n in range(count):
        if n % 37 == 5:
            lines.append(b"only,three,fields,and,more\n")  # ragged
        elif n % 53 == 7:
            lines.append(b"\n")  # blank
        elif n % 61 == 9:
            lines.append(b"Jos\xe9%d@x.io,5550100333,Jos\xe9,\n" % n)  # bad encoding
        elif n % 29 == 3:
            lines.append(b"bad%d,12,,\n" % n)  # two bad cells, empty row
        elif n % 17 == 1:
            lines.append(b"not-an-email-%d,555010%04d,Bob,\n" % (n, n))  # one bad cell
        elif n % 101 == 11:
            lines.append(b'p%d@x.io,5550100555,"Eve\nMarie",two lines\n' % n)  # a quoted line break
        else:
            lines.append(b"person%d@x.io,+1 555 %07d,Name%d,ok\n" % (n, n, n % 40))
    return b"".join(lines)


def _run(tmp_path, data: bytes, jobs: int, name: str, **options):
    source = tmp_path / "in.csv"
    source.write_bytes(data)
    out = tmp_path / f"{name}.jsonl"
    opts = HashOptions(input=str(source), out=str(out), schema=("EMAIL", "PHONE", "FN"), jobs=jobs, **options)
    report = hash_file(opts, hasher=FakeHasher(), progress=Progress(io.StringIO(), "off"))
    data_report = report.as_dict()
    for varying in ("elapsed_seconds", "output"):
        data_report.pop(varying, None)
    return data_report, out.read_bytes() if out.exists() else None


@pytest.mark.parametrize("jobs", [2, 3])
def test_several_processes_write_the_same_bytes_and_report_as_one(tmp_path, monkeypatch, jobs):
    monkeypatch.setattr(pipeline, "BATCH_ROWS", 50)  # many small batches, so order is really at stake
    data = _messy_rows(3_000)
    one_report, one_out = _run(tmp_path, data, 1, "one")
    many_report, many_out = _run(tmp_path, data, jobs, "many")
    assert one_out is not None and one_out.count(b"\n") > 2_000
    assert many_out == one_out
    assert many_report == one_report
    assert one_report["rows_rejected"]["ragged_row"]["count"] > 50
    assert one_report["cells_rejected"]["EMAIL"]["invalid_email"]["count"] > 100


def test_the_mixed_file_reports_alike_on_two_processes(tmp_path):
    assert _run(tmp_path, MIXED, 2, "many") == _run(tmp_path, MIXED, 1, "one")


def test_a_runaway_quote_stops_a_parallel_run_at_the_same_row_and_leaves_out_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "BATCH_ROWS", 100)
    good = b"".join(b"p%d@x.io,+1 555 %07d,Ann,\n" % (n, n) for n in range(5_000))
    data = b"Email,Phone,First Name,Notes\n" + good + b'"broken@x.io,5550100,Ann,\n' + good
    (tmp_path / "many.jsonl").write_text("previous\n")
    messages = []
    for jobs in (1, 2):
        with pytest.raises(HashFileError) as failure:
            _run(tmp_path, data, jobs, "many")
        messages.append(str(failure.value))
        assert (tmp_path / "many.jsonl").read_text() == "previous\n"
    assert messages[0] == messages[1] and "row 5,002" in messages[0]


class Exploding(FakeHasher):
    """Fails on one row; module-level, so a worker process can unpickle it."""

    def __call__(self, record, schema, **kwargs):
        if record.get("EMAIL") == "p1234@x.io":
            raise RuntimeError("boom")
        return super().__call__(record, schema, **kwargs)


def test_a_worker_that_fails_fails_the_run_and_writes_nothing(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"email\n" + b"".join(b"p%d@x.io\n" % n for n in range(3_000)))
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    options = HashOptions(input=str(source), out=str(out), schema=("EMAIL",), jobs=2)
    with pytest.raises(RuntimeError, match="boom"):
        hash_file(options, hasher=Exploding(), progress=Progress(io.StringIO(), "off"))
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.jsonl"]


def test_the_reader_never_runs_more_than_one_batch_per_process_ahead():
    """Memory stays flat: a slow consumer holds the reader back instead of the batches piling up."""
    made = 0

    def batches() -> Iterator[Batch]:
        nonlocal made
        for n in range(40):
            made += 1
            yield Batch(rows=[(n, None)], values=[[f"p{n}@x.io"]], chars=8)

    job = HashJob(("EMAIL",), ("EMAIL",), FakeHasher())
    results = hashed_batches(job, batches(), jobs=2)
    ahead: list[int] = []
    order: list[int] = []
    for batch, done in results:
        ahead.append(made - len(order))
        order.append(batch.rows[0][0])
        assert done.written == 1
    assert order == list(range(40))
    assert max(ahead) <= 2 + 1  # one batch in each of the two workers, and the one just read


def test_the_default_is_one_process_for_small_or_unknown_sizes_and_every_core_for_big_files():
    assert jobs_for(None) == 1
    assert jobs_for(AUTO_JOBS_BYTES - 1) == 1
    assert jobs_for(AUTO_JOBS_BYTES) == max(1, os.process_cpu_count() or 1)

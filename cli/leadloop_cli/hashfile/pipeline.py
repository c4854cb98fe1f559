"""One run of ``leadloop hash``: CSV rows in, payload rows out, a report of what was dropped.

The pipeline owns the policy: which rows are rejected and why, when the output is committed. The
hashing itself is passed in (``leadloop.audience.hash_row`` in the CLI), so this package imports
nothing heavy and its tests need no phone-number tables.

Commit rule: ``OUT`` is replaced only if at least one payload row was produced. An empty payload
file fed to an audience replace would empty the audience, and "every row rejected" almost always
means a wrong encoding, delimiter or mapping rather than an empty CRM. A quote that swallowed more
lines than :mod:`~.swallow` allows raises mid-stream, so ``OUT`` is never replaced either.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from leadloop_cli.hashfile.batches import (
    BATCH_CHARS,
    BATCH_ROWS,
    Batch,
    Done,
    HashedRowLike,
    HashJob,
    RowHasher,
    hashed_batches,
)
from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.mapping import COUNTRY, ColumnMap, resolve_columns
from leadloop_cli.hashfile.progress import Progress
from leadloop_cli.hashfile.reader import CsvFileReader, Row, has_undecodable
from leadloop_cli.hashfile.report import EXAMPLE_ROWS, RunReport
from leadloop_cli.hashfile.swallow import SwallowGuard, has_line_break
from leadloop_cli.hashfile.writer import JsonlWriter, check_output_path

__all__ = ["AUTO_JOBS_BYTES", "HashOptions", "HashedRowLike", "RowHasher", "hash_file", "jobs_for"]

AUTO_JOBS_BYTES = 4_000_000
"""Below this size (or when it is unknown, as for stdin) the default is one process: starting workers
costs more than they save."""


@dataclass(frozen=True, slots=True)
class HashOptions:
    """Everything a run needs from the command line, already parsed and checked."""

    input: str
    out: str
    schema: tuple[str, ...]
    overrides: tuple[tuple[str, str], ...] = ()
    default_country: str | None = None
    prehashed: frozenset[str] = field(default_factory=frozenset)
    encoding: str | None = None  # None: UTF-8, or what a byte-order mark announces
    delimiter: str = ","
    example_rows: int = EXAMPLE_ROWS
    jobs: int | None = None  # processes that hash; None: jobs_for(the input's size)


def jobs_for(total_bytes: int | None) -> int:
    """The default number of hashing processes: the usable cores for a file of a few MB or more, else one."""
    if total_bytes is None or total_bytes < AUTO_JOBS_BYTES:
        return 1
    return max(1, os.process_cpu_count() or 1)


def hash_file(options: HashOptions, *, hasher: RowHasher, progress: Progress) -> RunReport:
    """Stream ``options.input`` into ``options.out``; raise :class:`HashFileError` for unusable input."""
    check_output_path(options.out, input_path=options.input)
    report = RunReport(
        input=options.input, output=options.out, schema=options.schema, example_rows=options.example_rows
    )
    started = time.monotonic()
    with CsvFileReader(options.input, encoding=options.encoding, delimiter=options.delimiter) as source:
        header = source.header()
        columns = resolve_columns(header, options.schema, options.overrides)
        report.columns = columns.as_dict()
        report.encoding = source.encoding
        report.country_hint_column = columns.hint_column
        progress.start(source.total_bytes, source.bytes_read)
        jobs = options.jobs if options.jobs is not None else jobs_for(source.total_bytes)
        try:
            with JsonlWriter(options.out) as writer:
                _stream_rows(
                    source=source,
                    width=len(header),
                    columns=columns,
                    options=options,
                    hasher=hasher,
                    jobs=jobs,
                    writer=writer,
                    report=report,
                    progress=progress,
                )
                if report.rows_written:
                    writer.commit()
                report.output_written = writer.committed
        finally:
            report.bytes_read = source.bytes_read()
            report.lines_read = source.lines_read
            report.elapsed_seconds = time.monotonic() - started
            progress.finish(report.rows_read)
    return report


def _stream_rows(
    *,
    source: CsvFileReader,
    width: int,
    columns: ColumnMap,
    options: HashOptions,
    hasher: RowHasher,
    jobs: int,
    writer: JsonlWriter,
    report: RunReport,
    progress: Progress,
) -> None:
    """Read and check rows here, hash them in batches (maybe elsewhere), then book each batch in row order."""
    keys, indexes = options.schema, columns.indexes
    if columns.hint_index is not None:
        keys, indexes = (*keys, COUNTRY), (*indexes, columns.hint_index)
    job = HashJob(keys, options.schema, hasher, options.default_country, options.prehashed)
    guard = SwallowGuard(report, out=options.out)
    batches = _batches(source=source, width=width, indexes=indexes, guard=guard, report=report, progress=progress)
    with contextlib.closing(hashed_batches(job, batches, jobs)) as results:
        for batch, done in results:
            _book(batch, done, report)
            writer.write_lines(done.text)


def _batches(
    *,
    source: CsvFileReader,
    width: int,
    indexes: tuple[int, ...],
    guard: SwallowGuard,
    report: RunReport,
    progress: Progress,
) -> Iterator[Batch]:
    """The rows in batches: a rejected row with its reason, a row to hash with the values of the used columns.

    The stray-quote guard sees every row here, as it is read, so a run it stops stops at the same row
    whatever hashes the rows.
    """
    batch = Batch()
    try:
        yield from _fill(
            batch, source.rows(), width=width, indexes=indexes, guard=guard, report=report, progress=progress
        )
    except HashFileError:
        if batch.rows:
            yield batch  # the rows read before the one that stopped the run go out first, as one by one
        raise
    if batch.rows:
        yield batch


def _fill(
    batch: Batch,
    rows: Iterator[Row],
    *,
    width: int,
    indexes: tuple[int, ...],
    guard: SwallowGuard,
    report: RunReport,
    progress: Progress,
) -> Iterator[Batch]:
    for number, fields, problem, undecodable, line, end_line in rows:
        report.rows_read += 1
        progress.tick(report.rows_read)
        reason = problem
        if problem is not None:
            if end_line != line or problem == "unterminated_quote":
                guard.took_in(number, line, end_line, problem, kept=False)
        elif len(fields) != width:
            reason = "empty_row" if not fields else "ragged_row"
            if end_line != line:
                guard.took_in(number, line, end_line, reason, kept=False)
        else:
            values = [fields[index] for index in indexes]
            if end_line != line and has_line_break(values):
                guard.took_in(number, line, end_line, "line_break_in_cell", kept=True)
            if undecodable and any(has_undecodable(value) for value in values):
                reason = "bad_encoding"
            else:
                batch.values.append(values)
                batch.chars += sum(map(len, values))
        batch.rows.append((number, reason))
        if len(batch.values) >= BATCH_ROWS or batch.chars >= BATCH_CHARS:
            yield batch.take()


def _book(batch: Batch, done: Done, report: RunReport) -> None:
    """Report a batch's rows in input order, exactly as if each had been hashed as it was read."""
    events = {index: (rejected, empty) for index, rejected, empty in done.events}
    hashed = 0
    for number, reason in batch.rows:
        if reason is not None:
            report.reject_row(number, reason)
            continue
        found = events.get(hashed)
        hashed += 1
        if found is None:
            continue
        rejected, empty = found
        for key, cell_reason in rejected:
            report.reject_cell(number, key, cell_reason)
        if empty:
            report.reject_row(number, "empty_row")
    report.rows_written += done.written

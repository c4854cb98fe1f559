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

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from leadloop_cli.hashfile.mapping import COUNTRY, ColumnMap, resolve_columns
from leadloop_cli.hashfile.progress import Progress
from leadloop_cli.hashfile.reader import CsvSource, has_undecodable
from leadloop_cli.hashfile.report import EXAMPLE_ROWS, RunReport
from leadloop_cli.hashfile.swallow import SwallowGuard, has_line_break
from leadloop_cli.hashfile.writer import JsonlWriter, check_output_path

__all__ = ["HashOptions", "HashedRowLike", "RowHasher", "hash_file"]


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


def hash_file(options: HashOptions, *, hasher: RowHasher, progress: Progress) -> RunReport:
    """Stream ``options.input`` into ``options.out``; raise :class:`HashFileError` for unusable input."""
    check_output_path(options.out, input_path=options.input)
    report = RunReport(
        input=options.input, output=options.out, schema=options.schema, example_rows=options.example_rows
    )
    started = time.monotonic()
    with CsvSource(options.input, encoding=options.encoding, delimiter=options.delimiter) as source:
        header = source.header()
        columns = resolve_columns(header, options.schema, options.overrides)
        report.columns = columns.as_dict()
        report.encoding = source.encoding
        report.country_hint_column = columns.hint_column
        progress.start(source.total_bytes, source.bytes_read)
        try:
            with JsonlWriter(options.out) as writer:
                _stream_rows(
                    source=source,
                    width=len(header),
                    columns=columns,
                    options=options,
                    hasher=hasher,
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
    source: CsvSource,
    width: int,
    columns: ColumnMap,
    options: HashOptions,
    hasher: RowHasher,
    writer: JsonlWriter,
    report: RunReport,
    progress: Progress,
) -> None:
    schema = options.schema
    pairs = tuple(zip(schema, columns.indexes, strict=True))
    if columns.hint_index is not None:
        pairs += ((COUNTRY, columns.hint_index),)
    default_country = options.default_country
    prehashed = options.prehashed
    guard = SwallowGuard(report, out=options.out)
    for number, fields, problem, undecodable, line, end_line in source.rows():
        report.rows_read += 1
        progress.tick(report.rows_read)
        if problem is not None:
            report.reject_row(number, problem)
            if end_line != line or problem == "unterminated_quote":
                guard.took_in(number, line, end_line, problem, kept=False)
            continue
        if len(fields) != width:
            reason = "empty_row" if not fields else "ragged_row"
            report.reject_row(number, reason)
            if end_line != line:
                guard.took_in(number, line, end_line, reason, kept=False)
            continue
        record = {key: fields[index] for key, index in pairs}
        if end_line != line and has_line_break(record.values()):
            guard.took_in(number, line, end_line, "line_break_in_cell", kept=True)
        if undecodable and any(has_undecodable(value) for value in record.values()):
            report.reject_row(number, "bad_encoding")
            continue
        result = hasher(record, schema, default_country=default_country, prehashed=prehashed)
        for key, reason in result.rejected:
            report.reject_cell(number, key, reason)
        if not any(result.cells):  # cells are strings: "" is the only empty one
            report.reject_row(number, "empty_row")
            continue
        writer.write(result.cells)
        report.rows_written += 1

"""Lines a quoted field took in: counted for the report, and past a limit the end of the run.

A quote that never closes (or that some later quote closes by chance) turns the lines after it into
one field of one record, and the people on those lines vanish without a rejected row of their own.
The reader gives every record its physical lines; this module decides which multi-line records are
suspect and how much of that a run may take. Suspect:

* a rejected record read from several lines (ragged, over a size limit, a quote open at the end of
  the file): each line after its first was probably a person;
* a kept record whose *used* cell holds a line break. No Meta key (email, phone, names, city, zip,
  ids) ever has one, while a notes or address column legitimately does, so only used cells count.
  A stray quote closed by a later quoted field with commas in it often gives a record of the right
  width: this is how that case shows.

Limits (documented in the README's ``leadloop hash`` entry):

* ``MAX_SWALLOWED_PER_ROW``: a suspect record may take in at most 3 lines after its first. A broken
  quote in an export that quotes every field closes on the same line, and a real multi-line value
  in a used column ("Menlo\\nPark" from an address block) spans two or three; beyond that the parser
  has lost its place in the file and nothing after can be trusted.
* ``MAX_SWALLOWED_TOTAL``: rejected records may take in at most 100 lines in all. Each one is in the
  report, but a file that loses that many people to its quoting needs fixing, not uploading.

Past either, the run fails with the row and its line range (never a value) and ``OUT`` is left as it
was; within them, every span is in the report.
"""

from __future__ import annotations

from collections.abc import Iterable

from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.report import RunReport

__all__ = ["MAX_SWALLOWED_PER_ROW", "MAX_SWALLOWED_TOTAL", "SwallowGuard", "has_line_break"]

MAX_SWALLOWED_PER_ROW = 3
"""Lines a suspect record may take in after its first."""

MAX_SWALLOWED_TOTAL = 100
"""Lines all rejected records together may take in."""


def has_line_break(values: Iterable[str]) -> bool:
    """Whether any of ``values`` spans lines (only asked of records read from several lines)."""
    return any("\n" in value or "\r" in value for value in values)


class SwallowGuard:
    """Reports each suspect record and raises :class:`HashFileError` once a limit is passed."""

    def __init__(self, report: RunReport, *, out: str) -> None:
        self._report = report
        self._rejected_lines = 0
        self._tail = "the rows already written to stdout are incomplete" if out == "-" else "OUT was not written"

    def took_in(self, row: int, first_line: int, last_line: int, reason: str, *, kept: bool) -> None:
        """Record one suspect record (``kept``: it still produced a payload row)."""
        self._report.add_swallowed(row, first_line, last_line, reason)
        extra = last_line - first_line
        where = f"row {row:,} (lines {first_line:,}-{last_line:,})"
        if extra > MAX_SWALLOWED_PER_ROW:
            raise HashFileError(
                f"{where}: {reason}: a quoted field took in the next {extra:,} line(s) "
                f"(at most {MAX_SWALLOWED_PER_ROW} allowed); fix the quoting; {self._tail}"
            )
        if kept:
            return
        self._rejected_lines += extra
        if self._rejected_lines > MAX_SWALLOWED_TOTAL:
            raise HashFileError(
                f"quoted fields took in {self._rejected_lines:,} line(s) in all (at most {MAX_SWALLOWED_TOTAL} "
                f"allowed), the last at {where}: fix the quoting; {self._tail}"
            )

"""What a run did, by reason and by row number, and never by value.

The report is the only thing a user sees about the rows we dropped, so it has to be enough to find
them (counts plus the first few row numbers per reason) while staying safe to paste into a ticket:
it holds schema keys, reason tokens and numbers only. A reason that is not a short lower-case token
is replaced by ``invalid``, so a hasher that put a value in its reason still cannot leak it here.

Row reasons: ``bad_encoding``, ``ragged_row``, ``field_too_large``, ``row_too_large``,
``unterminated_quote`` (a quote still open at the end of the file, or running past the field limit
over several lines), ``malformed_row``, ``empty_row`` (every cell empty after normalizing: nothing
to send). Cell reasons come from ``leadloop.audience.hash_row`` (``invalid_email``,
``invalid_phone``, ...); a rejected cell is sent as ``""`` and its row is kept.

Lines: ``lines_read`` counts every physical line (the header's included), so a quote that turned
many lines into one row cannot hide: ``swallowed`` lists such rows with their line range and reason
(``line_break_in_cell`` for a kept row whose used cell spans lines), ``lines_swallowed`` sums the
lines each took in after its first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXAMPLE_ROWS", "RunReport", "Span", "Tally"]

EXAMPLE_ROWS = 20
"""Row numbers kept per reason: enough to find the pattern, small enough to read."""

_TEXT_ROWS = 10  # the printed summary shows fewer row numbers than the JSON keeps, to stay on one line
_TOKEN = re.compile(r"[a-z0-9_]{1,48}")
_KEY = re.compile(r"[A-Z0-9_]{1,48}")


@dataclass(slots=True)
class Tally:
    """How many times one reason happened, and the first row numbers where it did."""

    count: int = 0
    rows: list[int] = field(default_factory=list)

    def add(self, row: int, limit: int) -> None:
        self.count += 1
        if len(self.rows) < limit:
            self.rows.append(row)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "rows": list(self.rows)}


@dataclass(frozen=True, slots=True)
class Span:
    """A row read from several physical lines that :mod:`~.swallow` flagged."""

    row: int
    first_line: int
    last_line: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "lines": [self.first_line, self.last_line], "reason": self.reason}

    def text(self) -> str:
        if self.first_line == self.last_line:
            return f"row {self.row:,} (line {self.first_line:,}) {self.reason}"
        return f"row {self.row:,} (lines {self.first_line:,}-{self.last_line:,}) {self.reason}"


@dataclass(slots=True)
class RunReport:
    """Counters of one ``leadloop hash`` run; ``rows_read == rows_written + rows rejected``."""

    input: str = ""
    output: str = ""
    schema: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)
    country_hint_column: str | None = None
    example_rows: int = EXAMPLE_ROWS
    encoding: str | None = None
    rows_read: int = 0
    rows_written: int = 0
    lines_read: int = 0
    lines_swallowed: int = 0
    swallowed_total: int = 0
    swallowed: list[Span] = field(default_factory=list)
    bytes_read: int | None = None
    elapsed_seconds: float = 0.0
    output_written: bool = False
    rows_rejected: dict[str, Tally] = field(default_factory=dict)
    cells_rejected: dict[str, dict[str, Tally]] = field(default_factory=dict)
    _safe: dict[str, str] = field(default_factory=dict)

    def reject_row(self, row: int, reason: str) -> None:
        """Count a data row that produced no payload row."""
        self.rows_rejected.setdefault(self._token(reason, _TOKEN, "invalid"), Tally()).add(row, self.example_rows)

    def reject_cell(self, row: int, key: str, reason: str) -> None:
        """Count a present-but-invalid cell (sent empty; its row is kept)."""
        by_reason = self.cells_rejected.setdefault(self._token(key, _KEY, "UNKNOWN"), {})
        safe_reason = self._token(reason, _TOKEN, "invalid")
        by_reason.setdefault(safe_reason, Tally()).add(row, self.example_rows)

    def add_swallowed(self, row: int, first_line: int, last_line: int, reason: str) -> None:
        """Count the lines a multi-line row took in after its first; keep the first few spans."""
        self.lines_swallowed += last_line - first_line
        self.swallowed_total += 1
        if len(self.swallowed) < self.example_rows:
            self.swallowed.append(Span(row, first_line, last_line, self._token(reason, _TOKEN, "invalid")))

    @property
    def rows_rejected_total(self) -> int:
        return sum(tally.count for tally in self.rows_rejected.values())

    @property
    def cells_rejected_total(self) -> int:
        return sum(t.count for by_reason in self.cells_rejected.values() for t in by_reason.values())

    def as_dict(self) -> dict[str, Any]:
        """The ``--report FILE.json`` document."""
        return {
            "input": self.input,
            "output": self.output,
            "output_written": self.output_written,
            "encoding": self.encoding,
            "schema": list(self.schema),
            "columns": dict(self.columns),
            "country_hint_column": self.country_hint_column,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "lines_read": self.lines_read,
            "lines_swallowed": self.lines_swallowed,
            "swallowed_total": self.swallowed_total,
            "swallowed": [span.as_dict() for span in self.swallowed],
            "rows_rejected_total": self.rows_rejected_total,
            "cells_rejected_total": self.cells_rejected_total,
            "bytes_read": self.bytes_read,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "row_numbers_per_reason": self.example_rows,
            "rows_rejected": {reason: t.as_dict() for reason, t in sorted(self.rows_rejected.items())},
            "cells_rejected": {
                key: {reason: t.as_dict() for reason, t in sorted(by_reason.items())}
                for key, by_reason in self.cells_rejected.items()
            },
        }

    def render(self) -> str:
        """The human summary printed on stderr."""
        rate = self.rows_read / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0
        lines = [
            f"leadloop hash: {self.rows_read:,} row(s) read, {self.rows_written:,} written, "
            f"{self.rows_rejected_total:,} rejected, {self.cells_rejected_total:,} cell(s) rejected "
            f"in {self.elapsed_seconds:.1f}s ({rate:,.0f} rows/s)"
        ]
        if self.swallowed:
            shown = ", ".join(span.text() for span in self.swallowed[:_TEXT_ROWS])
            more = self.swallowed_total - min(len(self.swallowed), _TEXT_ROWS)
            lines.append(
                f"stray quotes: {self.lines_swallowed:,} line(s) taken in: {shown}"
                + (f" and {more:,} more row(s)" if more else "")
            )
        cells = [
            (f"{key} {reason}", key, t)
            for key, by_reason in self.cells_rejected.items()
            for reason, t in by_reason.items()
        ]
        width = max([len(reason) for reason in self.rows_rejected] + [len(label) for label, _, _ in cells], default=0)
        if self.rows_rejected:
            lines.append("rows rejected (not written):")
            for reason, tally in sorted(self.rows_rejected.items(), key=lambda item: (-item[1].count, item[0])):
                lines.append(f"  {reason:<{width}}  {tally.count:>9,}  {_rows_text(tally)}")
        if cells:
            lines.append('cells rejected (sent as "", row kept):')
            for label, _, tally in sorted(cells, key=lambda c: (self._schema_pos(c[1]), -c[2].count, c[0])):
                lines.append(f"  {label:<{width}}  {tally.count:>9,}  {_rows_text(tally)}")
        if self.output and not self.output_written and self.output != "-":
            lines.append(f"{self.output} was not written")
        return "\n".join(lines)

    def _schema_pos(self, key: str) -> int:
        return self.schema.index(key) if key in self.schema else len(self.schema)

    def _token(self, text: str, pattern: re.Pattern[str], fallback: str) -> str:
        safe = self._safe.get(text)
        if safe is None:
            safe = self._safe[text] = text if pattern.fullmatch(text) else fallback
        return safe


def _rows_text(tally: Tally) -> str:
    shown = tally.rows[:_TEXT_ROWS]
    listed = ", ".join(str(row) for row in shown)
    more = f" and {tally.count - len(shown):,} more" if tally.count > len(shown) else ""
    return f"row{'s' if tally.count > 1 else ''} {listed}{more}"
